using System.Buffers;
using System.Collections;
using System.IO.Pipelines;

namespace PluginIpc.Tests.Channel;

/// <summary>A framer that throws after writing part of a chunk: nothing of that chunk may reach the other side.</summary>
public sealed class FramingFailureTests
{
    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_FramerThrowsHalfway_DropsWhatItWroteAndLaterChunksArriveIntact(
        [Values(0, 100, 20_000, 100_000)] int writtenBeforeThrow,
        CancellationToken cancellationToken)
    {
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0)); // unbounded: the test reads only after the writes
        var text = new NullTerminatedFramer();
        var writer = new ChunkWriter(pipe.Writer, new HalfWritingFramer(text, writtenBeforeThrow), _ => { });

        // Corked, the three chunks share the pending buffer: the failed one sits between two that must go out.
        writer.Cork();
        await writer.WriteAsync(new OutgoingChunk(1, Direction.OneWay, "before", "a"u8.ToArray()));
        ValueTask failed = writer.WriteAsync(new OutgoingChunk(2, Direction.OneWay, HalfWritingFramer.FailingCmd, "b"u8.ToArray()));
        await writer.WriteAsync(new OutgoingChunk(3, Direction.OneWay, "after", "c"u8.ToArray()));
        writer.Uncork();
        await writer.CompleteAsync(null).AsTask().WaitAsync(cancellationToken);

        Assert.That(async () => await failed, Throws.InvalidOperationException.With.Message.EqualTo(HalfWritingFramer.Failure));
        Assert.That(await ReadAllAsync(pipe.Reader, text, cancellationToken), Is.EqualTo(new[] { (1UL, "before"), (3UL, "after") }));
    }

    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_MessagePackHeadersChangeWhileFramed_FailsThatChunkAlone(
        [Values(16, 64 * 1024, 3 * 1024 * 1024)] int bufferLength,
        CancellationToken cancellationToken)
    {
        // The framer counts the headers, then writes them after the buffer: a dictionary that yields fewer the second
        // time makes it throw with the array header, fields and buffer already written.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 0)); // unbounded: the test reads only after the writes
        var framer = new MessagePackFramer();
        var writer = new ChunkWriter(pipe.Writer, framer, _ => { });

        writer.Cork();
        await writer.WriteAsync(new OutgoingChunk(1, Direction.OneWay, "before"));
        ValueTask failed = writer.WriteAsync(new OutgoingChunk(2, Direction.OneWay, "shrinking", new byte[bufferLength], new ShrinkingHeaders()));
        await writer.WriteAsync(new OutgoingChunk(3, Direction.OneWay, "after"));
        writer.Uncork();
        await writer.CompleteAsync(null).AsTask().WaitAsync(cancellationToken);

        Assert.That(async () => await failed, Throws.InvalidOperationException.With.Message.Contains("headers changed"));
        Assert.That(await ReadAllAsync(pipe.Reader, framer, cancellationToken), Is.EqualTo(new[] { (1UL, "before"), (3UL, "after") }));
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_AnswerTheFramerRefuses_FailsTheCallWithWhyInsteadOfWaiting(CancellationToken cancellationToken)
    {
        var (hostPipe, pluginPipe) = TestPipes.CreatePair();
        await using var host = new PluginIpc.Channel(hostPipe, new NullTerminatedFramer());
        await using var plugin = new PluginIpc.Channel(pluginPipe, new HalfWritingFramer(new NullTerminatedFramer(), 10));
        plugin.Handle("answer", static (_, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>("x"u8.ToArray()));
        plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        host.Start();
        plugin.Start();

        // The plugin's framer refuses its answers to "answer" (their cmd is the request's), and writes its error answer.
        var refused = Assert.ThrowsAsync<RemoteException>(async () => await host.CallAsync("answer", "q"u8.ToArray(), cancellationToken));
        ReadOnlyMemory<byte> echoed = await host.CallAsync("echo", "still there"u8.ToArray(), cancellationToken);

        Assert.That(refused!.Code, Is.EqualTo(ErrorCodes.HandlerError));
        Assert.That(refused.Message, Does.Contain("could not be framed").And.Contain(HalfWritingFramer.Failure));
        Assert.That(echoed.ToArray(), Is.EqualTo("still there"u8.ToArray()), "the channel carries on");
    }

    private static async Task<List<(ulong ThreadId, string Cmd)>> ReadAllAsync(PipeReader reader, IChunkFramer framer, CancellationToken cancellationToken)
    {
        var chunks = new List<(ulong, string)>();
        while (true)
        {
            ReadResult result = await reader.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (framer.TryRead(ref buffer, out Chunk? chunk))
            {
                chunks.Add((chunk!.ThreadId, chunk.Cmd));
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                Assert.That(buffer.Length, Is.Zero, "no bytes of a half-written chunk are left");
                return chunks;
            }
        }
    }

    /// <summary>Frames through a built-in framer, except chunks whose cmd is <see cref="FailingCmd"/>: of those it writes some bytes, then throws.</summary>
    private sealed class HalfWritingFramer(IChunkFramer inner, int writtenBeforeThrow) : IChunkFramer
    {
        public const string FailingCmd = "answer";
        public const string Failure = "This framer fails halfway.";

        public string Name => inner.Name;

        public void Write(Chunk chunk, IBufferWriter<byte> output)
        {
            if (chunk.Cmd == FailingCmd && chunk.Direction != Direction.Request)
            {
                // Written in pieces, as a framer that asks for room field by field would, so several segments fill.
                for (int left = writtenBeforeThrow; left > 0;)
                {
                    Span<byte> span = output.GetSpan(Math.Min(left, 4096));
                    int count = Math.Min(left, span.Length);
                    span[..count].Fill((byte)'z');
                    output.Advance(count);
                    left -= count;
                }

                throw new InvalidOperationException(Failure);
            }

            inner.Write(chunk, output);
        }

        public bool TryRead(ref ReadOnlySequence<byte> input, out Chunk? chunk) => inner.TryRead(ref input, out chunk);
    }

    /// <summary>Says it has two headers, and yields two the first time it is enumerated, one after that.</summary>
    private sealed class ShrinkingHeaders : IReadOnlyDictionary<string, string>
    {
        private int _enumerations;

        public int Count => 2;

        public IEnumerable<string> Keys => this.Select(entry => entry.Key);

        public IEnumerable<string> Values => this.Select(entry => entry.Value);

        public string this[string key] => throw new NotSupportedException();

        public bool ContainsKey(string key) => throw new NotSupportedException();

        public bool TryGetValue(string key, [System.Diagnostics.CodeAnalysis.MaybeNullWhen(false)] out string value) => throw new NotSupportedException();

        public IEnumerator<KeyValuePair<string, string>> GetEnumerator()
        {
            int entries = ++_enumerations == 1 ? 2 : 1;
            for (int i = 0; i < entries; i++)
            {
                yield return new KeyValuePair<string, string>($"key{i}", "value");
            }
        }

        IEnumerator IEnumerable.GetEnumerator() => GetEnumerator();
    }
}
