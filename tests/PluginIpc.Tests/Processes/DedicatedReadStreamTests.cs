namespace PluginIpc.Tests.Processes;

/// <summary>The plugin side's input stream: blocking reads on threads of its own, with the reader's code run right there.</summary>
[TestFixture]
public sealed class DedicatedReadStreamTests
{
    private const string ThreadName = "test input";

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_DataArrives_ContinuationRunsOnTheReadingThread(CancellationToken cancellationToken)
    {
        using var source = new BlockingSource();
        using var stream = new DedicatedReadStream(source, ThreadName);
        byte[] buffer = new byte[16];
        string? continuationThread = null;

        Task<int> read = stream.ReadAsync(buffer, cancellationToken).AsTask().ContinueWith(
            done =>
            {
                continuationThread = Thread.CurrentThread.Name;
                return done.Result;
            },
            cancellationToken,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        source.Add("abc"u8.ToArray());
        int count = await read.WaitAsync(cancellationToken);

        Assert.That(continuationThread, Is.EqualTo(ThreadName));
        Assert.That(buffer.AsSpan(0, count).ToArray(), Is.EqualTo("abc"u8.ToArray()));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_AskedForByTheCompletingThread_ThatThreadReadsRightThereAndReturnsCompleted(CancellationToken cancellationToken)
    {
        using var source = new BlockingSource();
        using var stream = new DedicatedReadStream(source, ThreadName);
        byte[] buffer = new byte[16];
        int firstThread = 0;
        bool secondCompletedWhenReturned = false;

        // Continuations registered before the data arrives run on the thread that completes the read.
        Task<Task<int>> first = stream.ReadAsync(buffer, cancellationToken).AsTask().ContinueWith(
            _ =>
            {
                firstThread = Environment.CurrentManagedThreadId;
                Task<int> second = stream.ReadAsync(buffer, cancellationToken).AsTask(); // the next read, asked for on the reading thread
                secondCompletedWhenReturned = second.IsCompleted;
                return second;
            },
            cancellationToken,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        source.Add("1"u8.ToArray());
        await source.ReadsStarted.WaitForAsync(2, cancellationToken); // the continuation's read is blocked in the source now
        source.Add("22"u8.ToArray());

        Assert.That(await (await first.WaitAsync(cancellationToken)).WaitAsync(cancellationToken), Is.EqualTo(2));
        Assert.That(secondCompletedWhenReturned, Is.True, "the read was not done on the reading thread, in place");
        Assert.That(source.ReadingThreads.Keys, Is.EqualTo(new[] { firstThread }));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_BlockedOnTheReadingThreadAndCancelled_IsAbandoned_ThenReturnsCancelledDroppingWhatItRead(CancellationToken cancellationToken)
    {
        using var source = new BlockingSource();
        using var stream = new DedicatedReadStream(source, ThreadName);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        byte[] buffer = new byte[16];

        Task<Exception?> first = stream.ReadAsync(buffer, cancellationToken).AsTask().ContinueWith(
            _ =>
            {
                try
                {
                    stream.ReadAsync(buffer, cancel.Token).AsTask().GetAwaiter().GetResult();
                    return null;
                }
                catch (Exception ex)
                {
                    return ex;
                }
            },
            cancellationToken,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        source.Add("1"u8.ToArray());
        await source.ReadsStarted.WaitForAsync(2, cancellationToken);
        Assert.That(stream.HasAbandonedRead, Is.False);

        await cancel.CancelAsync();
        Assert.That(stream.HasAbandonedRead, Is.True, "a read blocked in place and cancelled");
        source.Add("zz"u8.ToArray());

        Assert.That(await first.WaitAsync(cancellationToken), Is.InstanceOf<OperationCanceledException>());
        Assert.That(stream.HasAbandonedRead, Is.False);
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_WhileTheReadingThreadIsHeldUp_AnotherThreadReads(CancellationToken cancellationToken)
    {
        using var source = new BlockingSource();
        using var stream = new DedicatedReadStream(source, ThreadName);
        using var release = new ManualResetEventSlim();
        var held = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        byte[] buffer = new byte[16];

        // The first read's continuation blocks its thread, as a stuck handler run inline would.
        Task first = stream.ReadAsync(buffer, cancellationToken).AsTask().ContinueWith(
            _ =>
            {
                held.SetResult(Environment.CurrentManagedThreadId);
                release.Wait(cancellationToken);
            },
            cancellationToken,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        source.Add("1"u8.ToArray());
        int heldThread = await held.Task.WaitAsync(cancellationToken);

        ValueTask<int> second = stream.ReadAsync(buffer, cancellationToken);
        source.Add("22"u8.ToArray());
        Assert.That(await second.ConfigureAwait(false), Is.EqualTo(2));

        Assert.That(Environment.CurrentManagedThreadId, Is.Not.EqualTo(heldThread));
        release.Set();
        await first;
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_Cancelled_EndsTheWaitAtOnce(CancellationToken cancellationToken)
    {
        using var source = new BlockingSource();
        using var stream = new DedicatedReadStream(source, ThreadName);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        ValueTask<int> read = stream.ReadAsync(new byte[16], cancel.Token);
        await source.ReadsStarted.WaitForAsync(1, cancellationToken);
        await cancel.CancelAsync();

        Assert.That(async () => await read, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_CancelledWhileItsThreadIsBlocked_NeverWritesTheReadersBufferAfterwards(CancellationToken cancellationToken)
    {
        using var source = new BlockingSource();
        using var stream = new DedicatedReadStream(source, ThreadName);
        using var cancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        byte[] buffer = new byte[16];

        ValueTask<int> read = stream.ReadAsync(buffer, cancel.Token);
        await source.ReadsStarted.WaitForAsync(1, cancellationToken);
        await cancel.CancelAsync();
        Assert.That(async () => await read, Throws.InstanceOf<OperationCanceledException>());
        buffer.AsSpan().Fill(0xEE); // handed on, as a pipe reader gives its arrays back to the pool once its read is cancelled

        source.Add("abc"u8.ToArray()); // the blocked read takes this
        await source.ReadsReturned.WaitForAsync(1, cancellationToken);

        Assert.That(buffer, Is.All.EqualTo((byte)0xEE), "the cancelled read wrote into the buffer its reader had handed on");
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_EndOfInputAndFailure_ReachTheReader(CancellationToken cancellationToken)
    {
        using var source = new BlockingSource();
        using var stream = new DedicatedReadStream(source, ThreadName);

        ValueTask<int> end = stream.ReadAsync(new byte[16], cancellationToken);
        source.Add([]);
        Assert.That(await end, Is.Zero);
        await Task.Yield(); // off the reading thread: a read asked for there is done in place, before this test adds what it waits for

        ValueTask<int> failed = stream.ReadAsync(new byte[16], cancellationToken);
        source.Fail(new IOException("broken pipe"));
        IOException? failure = null;
        try
        {
            await failed;
        }
        catch (IOException ex)
        {
            failure = ex;
        }

        Assert.That(failure?.Message, Is.EqualTo("broken pipe"));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_TwoAtOnce_Throws(CancellationToken cancellationToken)
    {
        using var source = new BlockingSource();
        using var stream = new DedicatedReadStream(source, ThreadName);

        ValueTask<int> first = stream.ReadAsync(new byte[16], cancellationToken);

        Assert.That(() => stream.ReadAsync(new byte[16], cancellationToken).AsTask(), Throws.InvalidOperationException);
        source.Add([]);
        Assert.That(await first, Is.Zero);
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_DescriptorMadeNonBlockingByAnotherProgram_WaitsForDataInsteadOfFailing(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("Reads with plain read calls on Linux and macOS; the flag is set with a Linux-only fcntl call here.");
            return;
        }

        using var server = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
        using Microsoft.Win32.SafeHandles.SafePipeHandle readEnd = server.ClientSafePipeHandle;
        Assert.That(UnixNative.TrySetNonBlocking(readEnd), Is.True); // as a host in another language may hand a pipe over
        const string ReadingThread = "test nonblock"; // at most 15 characters: Linux cuts longer thread names
        using DedicatedReadStream stream = DedicatedReadStream.ForDescriptor(UnixNative.Duplicate((int)readEnd.DangerousGetHandle()), ReadingThread);
        byte[] buffer = new byte[16];

        Task<int> read = stream.ReadAsync(buffer, cancellationToken).AsTask();

        // Nothing was written: the reading thread must wait (sleep), where a read that takes "would block" as an error fails at once.
        await WaitForThreadStateAsync(ReadingThread, 'S', cancellationToken);
        Assert.That(read.IsCompleted, Is.False, "The read ended before anything was written.");
        server.Write("abc"u8);
        int count = await read.WaitAsync(cancellationToken);
        Assert.That(buffer.AsSpan(0, count).ToArray(), Is.EqualTo("abc"u8.ToArray()));
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_BusyPolling_ReadsWhatArrivesDuringAndAfterTheWindow_ThenTheThreadSleeps(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux() || Environment.ProcessorCount < 2)
        {
            Assert.Ignore("Busy polling is for machines with several CPUs; the thread state is read from Linux's /proc.");
            return;
        }

        using var server = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
        using Microsoft.Win32.SafeHandles.SafePipeHandle readEnd = server.ClientSafePipeHandle;
        const string PollingThread = "test busy poll";
        using DedicatedReadStream stream = DedicatedReadStream.ForDescriptor(UnixNative.Duplicate((int)readEnd.DangerousGetHandle()), PollingThread);
        stream.BusyPollTime = TimeSpan.FromMilliseconds(300);
        byte[] buffer = new byte[16];

        Task<int> during = stream.ReadAsync(buffer, cancellationToken).AsTask();
        server.Write("abc"u8);
        Assert.That(await during.WaitAsync(cancellationToken), Is.EqualTo(3));
        await Task.Yield(); // off the reading thread, whose state is watched below (a read asked for there would be done in place)

        // Nothing more comes: the reading thread checks for its window (running), then must block in read, not keep checking.
        Task<int> after = stream.ReadAsync(buffer, cancellationToken).AsTask();
        await WaitForThreadStateAsync(PollingThread, 'R', cancellationToken);
        await WaitForThreadStateAsync(PollingThread, 'S', cancellationToken);
        server.Write("de"u8);
        Assert.That(await after.WaitAsync(cancellationToken), Is.EqualTo(2));
        Assert.That(buffer.AsSpan(0, 2).ToArray(), Is.EqualTo("de"u8.ToArray()));
    }

    [Test]
    public async Task BusyPollTime_SetOnAChannelsOptions_ReachesItsInputStream()
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            Assert.Ignore("Descriptors are read with blocking reads on Linux and macOS.");
            return;
        }

        using var server = new System.IO.Pipes.AnonymousPipeServerStream(System.IO.Pipes.PipeDirection.Out);
        DedicatedReadStream input = DedicatedReadStream.ForDescriptor(UnixNative.Duplicate((int)server.ClientSafePipeHandle.DangerousGetHandle()), ThreadName);

        await using var channel = new PluginIpc.Channel(input, new MemoryStream(), new MessagePackFramer(), new ChannelOptions { BusyPollTime = TimeSpan.FromMicroseconds(40) });

        Assert.That(input.BusyPollTime, Is.EqualTo(Environment.ProcessorCount > 1 ? TimeSpan.FromMicroseconds(40) : TimeSpan.Zero), "ignored with one CPU");
    }

    [Test, CancelAfter(20_000)]
    public async Task ChannelDisposed_WhileItsLoopIsBlockedInARead_ReturnsWithoutWaitingForThePeer_AndDispatchesNothingMore(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("The reading thread's state is read from Linux's /proc.");
            return;
        }

        var (peerInput, peerOutput, input, output) = PluginIpc.Tests.Channel.TestPipes.CreateOsPipes();
        using var peerOutputToClose = peerOutput;
        using var peerInputToClose = peerInput;
        const string ReadingThread = "test dispose";
        DedicatedReadStream dedicated = PluginIpc.Tests.Channel.TestPipes.ReadDedicated((System.IO.Pipes.PipeStream)input, ReadingThread);
        var framer = new MessagePackFramer();
        var channel = new PluginIpc.Channel(dedicated, output, framer);
        int handled = 0;
        var firstHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Handle("count", (_, _, _) =>
        {
            Interlocked.Increment(ref handled);
            firstHandled.TrySetResult();
            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        channel.Start();
        var writer = new System.Buffers.ArrayBufferWriter<byte>();
        framer.Write(new Chunk { ThreadId = 0, Direction = Direction.OneWay, Cmd = "count" }, writer);

        peerOutput.Write(writer.WrittenSpan);
        await firstHandled.Task.WaitAsync(cancellationToken);
        await WaitForThreadStateAsync(ReadingThread, 'S', cancellationToken, waitingIn: "pipe_read|pipe_wait"); // the loop's next read, blocked in place (pipe_wait: kernels before 5.5)

        var disposing = System.Diagnostics.Stopwatch.StartNew();
        await channel.DisposeAsync();
        disposing.Stop();

        // Without the abandoned read's exemption, DisposeAsync waits out its one-second bound for the loop to end.
        Assert.That(disposing.Elapsed, Is.LessThan(TimeSpan.FromMilliseconds(900)), "DisposeAsync waited for a read only the peer can end");
        Assert.That(dedicated.HasAbandonedRead, Is.True);

        peerOutput.Write(writer.WrittenSpan); // the blocked read takes this and must drop it
        while (dedicated.HasAbandonedRead)
        {
            await Task.Delay(10, cancellationToken);
        }

        Assert.That(Volatile.Read(ref handled), Is.EqualTo(1), "a chunk read after the channel closed was dispatched");
    }

    /// <summary>Waits until the thread named <paramref name="name"/> of this process is in <paramref name="state"/> (Linux's /proc: S = sleeping).</summary>
    /// <param name="name">The thread's name.</param>
    /// <param name="state">The state to wait for.</param>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <param name="waitingIn">When set, the kernel functions (|-separated) one of which it must wait in too (/proc's wchan), where the kernel shows it.</param>
    private static async Task WaitForThreadStateAsync(string name, char state, CancellationToken cancellationToken, string? waitingIn = null)
    {
        char last = '?';
        for (int attempt = 0; attempt < 200; attempt++)
        {
            string self = Path.GetFileName(new DirectoryInfo("/proc/thread-self").ResolveLinkTarget(returnFinalTarget: true)!.FullName);
            foreach (string task in Directory.GetDirectories("/proc/self/task"))
            {
                if (Path.GetFileName(task) == self || File.ReadAllText(Path.Combine(task, "comm")).TrimEnd('\n') != name)
                {
                    continue;
                }

                string stat = File.ReadAllText(Path.Combine(task, "stat"));
                last = stat[stat.LastIndexOf(')') + 2]; // the state follows the name, which is in parentheses
                if (last == state && (waitingIn is null || IsWaitingIn(task, waitingIn)))
                {
                    return;
                }
            }

            await Task.Delay(10, cancellationToken);
        }

        Assert.Fail($"Thread '{name}' never reached state {state} in 2 s; it was {last}.");
    }

    /// <summary>Whether the thread of /proc directory <paramref name="task"/> waits in a kernel function whose name contains one of <paramref name="names"/> (|-separated); true where the kernel hides it (no wchan, or "0").</summary>
    private static bool IsWaitingIn(string task, string names)
    {
        string path = Path.Combine(task, "wchan");
        string wchan = File.Exists(path) ? File.ReadAllText(path) : "";
        return wchan.Length == 0 || wchan == "0" || names.Split('|').Any(name => wchan.Contains(name, StringComparison.Ordinal));
    }
}
