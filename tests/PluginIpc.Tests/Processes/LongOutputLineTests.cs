namespace PluginIpc.Tests.Processes;

/// <summary>A plugin that writes without line breaks: its output arrives in pieces of the limit, and the host's memory stays flat.</summary>
[TestFixture]
[Category("Process")]
public sealed class LongOutputLineTests : ProcessTestBase
{
    private const int Mebibyte = 1024 * 1024;

    [Test, CancelAfter(60_000)]
    public async Task LineThatNeverEnds_HostMemoryStaysFlat([Values("stderr", "stdout")] string stream, CancellationToken cancellationToken)
    {
        // 48 MiB in one line: a reader without a limit holds it all (over 96 MB of chars) until the line ends, which it never does.
        const int Mebibytes = 48;
        const int MaxLength = 4096;
        const long MaxGrowth = 8 * Mebibyte;
        PluginOutputSource source = Source(stream);
        var written = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        long chars = 0;
        int longest = 0, uncut = 0;
        PluginProcessStartInfo info = StartInfo(stream, Mebibytes, "hang", MaxLength, line =>
        {
            if (line.Source != source)
            {
                if (line.Text == "written")
                {
                    written.TrySetResult();
                }

                return;
            }

            // Only this stream's reading task writes these; count, never keep, the pieces.
            int length = ContentLength(line);
            Interlocked.Add(ref chars, length);
            Volatile.Write(ref longest, Math.Max(longest, length));
            if (!line.Continues)
            {
                Interlocked.Increment(ref uncut);
            }
        });
        long before = GC.GetTotalMemory(forceFullCollection: true);
        await using PluginProcess plugin = await StartAsync(info, cancellationToken);

        // The plugin wrote the whole line into a pipe of 64 KiB before it said "written": the host has read nearly all of it.
        await written.Task.WaitAsync(cancellationToken);
        long growth = GC.GetTotalMemory(forceFullCollection: true) - before;

        Assert.That(growth, Is.LessThan(MaxGrowth), $"the host grew by {growth:N0} bytes while reading a {Mebibytes} MiB line");
        Assert.That(Interlocked.Read(ref chars), Is.GreaterThan((Mebibytes - 1L) * Mebibyte), "the line arrived in pieces as it was read");
        Assert.That(Volatile.Read(ref longest), Is.EqualTo(MaxLength));
        Assert.That(Volatile.Read(ref uncut), Is.Zero, "every piece says that the line continues");
        Assert.That(plugin.HasExited, Is.False);
    }

    [Test, CancelAfter(60_000)]
    public async Task LongLineThenLineEnd_ArrivesInMarkedPiecesOfTheLimit([Values("stderr", "stdout")] string stream, CancellationToken cancellationToken)
    {
        const int Mebibytes = 3;
        const int MaxLength = 1000;
        const int Total = Mebibytes * Mebibyte;
        PluginOutputSource source = Source(stream);
        var pieces = new List<(bool IsContinuation, bool Continues, int Length)>();
        var after = new List<PluginOutputLine>();
        PluginProcessStartInfo info = StartInfo(stream, Mebibytes, "end", MaxLength, line =>
        {
            if (line.Source != source)
            {
                return;
            }

            lock (pieces)
            {
                if (pieces.Count == 0 || pieces[^1].Continues)
                {
                    pieces.Add((line.IsContinuation, line.Continues, ContentLength(line)));
                }
                else
                {
                    after.Add(line);
                }
            }
        });
        await using PluginProcess plugin = await StartAsync(info, cancellationToken);

        Assert.That(await plugin.Exited.WaitAsync(cancellationToken), Is.EqualTo(0), plugin.StderrTail);

        int count = (Total + MaxLength - 1) / MaxLength;
        lock (pieces)
        {
            Assert.That(pieces, Has.Count.EqualTo(count));
            Assert.That(pieces.Take(count - 1).All(p => p.Length == MaxLength), Is.True, "all pieces but the last are full");
            Assert.That(pieces[^1].Length, Is.EqualTo(Total % MaxLength));
            Assert.That(pieces[0], Is.EqualTo((false, true, MaxLength)), "the first piece continues and is no continuation");
            Assert.That(pieces.Skip(1).SkipLast(1).All(p => p.IsContinuation && p.Continues), Is.True, "middle pieces are marked both ways");
            Assert.That(pieces[^1], Is.EqualTo((true, false, Total % MaxLength)), "the last piece is a continuation that ends the line");
            Assert.That(after, Is.EqualTo(new[] { new PluginOutputLine(source, "done") }), "the next line is whole and unmarked");
        }

        Assert.That(plugin.GetRecentOutput()[^2], Does.StartWith(BoundedLineReader.ContinuedMarker + "xxx").And.EndWith("x"));
        Assert.That(plugin.GetRecentOutput()[^1], Is.EqualTo("done"));
    }

    private static PluginOutputSource Source(string stream) =>
        stream == "stderr" ? PluginOutputSource.StandardError : PluginOutputSource.StandardOutput;

    private static PluginProcessStartInfo StartInfo(
        string stream, int mebibytes, string then, int maxLength, Action<PluginOutputLine> outputReceived)
    {
        PluginProcessStartInfo info = TestPlugin.StartInfo(
            PluginTransport.InheritedPipes, "long-line", stream, mebibytes.ToString(System.Globalization.CultureInfo.InvariantCulture), then);
        return new PluginProcessStartInfo(info.ExecutablePath)
        {
            Arguments = info.Arguments,
            Transport = PluginTransport.InheritedPipes, // stdout is free only there
            MaxOutputLineLength = maxLength,
            OutputReceived = outputReceived,
        };
    }

    /// <summary>Returns how many chars of the plugin's text <paramref name="line"/> carries, without the markers.</summary>
    private static int ContentLength(PluginOutputLine line) =>
        line.Text.Length
        - (line.IsContinuation ? BoundedLineReader.ContinuedMarker.Length : 0)
        - (line.Continues ? BoundedLineReader.ContinuesMarker.Length : 0);
}
