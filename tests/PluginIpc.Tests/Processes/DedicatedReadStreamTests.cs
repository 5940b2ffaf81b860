using System.Collections.Concurrent;

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
    public async Task ReadAsync_AskedForByTheCompletingThread_ThatThreadReadsNext(CancellationToken cancellationToken)
    {
        using var source = new BlockingSource();
        using var stream = new DedicatedReadStream(source, ThreadName);
        byte[] buffer = new byte[16];
        int firstThread = 0, secondThread = 0;

        // Continuations registered before the data arrives run on the thread that completes the read.
        Task<Task<int>> first = stream.ReadAsync(buffer, cancellationToken).AsTask().ContinueWith(
            _ =>
            {
                firstThread = Environment.CurrentManagedThreadId;
                return stream.ReadAsync(buffer, cancellationToken).AsTask(); // the next read, asked for on the reading thread
            },
            cancellationToken,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        source.Add("1"u8.ToArray());
        Task<int> second = (await first.WaitAsync(cancellationToken)).ContinueWith(
            read =>
            {
                secondThread = Environment.CurrentManagedThreadId;
                return read.Result;
            },
            cancellationToken,
            TaskContinuationOptions.ExecuteSynchronously,
            TaskScheduler.Default);
        source.Add("22"u8.ToArray());

        Assert.That(await second.WaitAsync(cancellationToken), Is.EqualTo(2));
        Assert.That(secondThread, Is.EqualTo(firstThread));
        Assert.That(source.ReadingThreads.Keys, Is.EqualTo(new[] { firstThread }));
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
        await source.ReadStarted.WaitAsync(cancellationToken);
        await cancel.CancelAsync();

        Assert.That(async () => await read, Throws.InstanceOf<OperationCanceledException>());
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadAsync_EndOfInputAndFailure_ReachTheReader(CancellationToken cancellationToken)
    {
        using var source = new BlockingSource();
        using var stream = new DedicatedReadStream(source, ThreadName);

        ValueTask<int> end = stream.ReadAsync(new byte[16], cancellationToken);
        source.Add([]);
        Assert.That(await end, Is.Zero);

        ValueTask<int> failed = stream.ReadAsync(new byte[16], cancellationToken);
        source.Fail(new IOException("broken pipe"));
        IOException? failure = null;
        try
        {
            await failed; // awaited, not waited for: this may run on the reading thread, which must get back to reading
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

    /// <summary>A stream whose reads block until the test hands them bytes (empty for the end), or a failure.</summary>
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
        using DedicatedReadStream stream = DedicatedReadStream.ForDescriptor(UnixNative.Duplicate((int)readEnd.DangerousGetHandle()), ThreadName);
        byte[] buffer = new byte[16];

        Task<int> read = stream.ReadAsync(buffer, cancellationToken).AsTask();

        // Nothing was written: a read that treats "would block" as an error fails at once.
        Assert.That(await Task.WhenAny(read, Task.Delay(200, cancellationToken)), Is.Not.SameAs(read), "The read ended before anything was written.");
        server.Write("abc"u8);
        int count = await read.WaitAsync(cancellationToken);
        Assert.That(buffer.AsSpan(0, count).ToArray(), Is.EqualTo("abc"u8.ToArray()));
    }

    private sealed class BlockingSource : Stream
    {
        private readonly BlockingCollection<object> _items = [];
        private readonly TaskCompletionSource _readStarted = new(TaskCreationOptions.RunContinuationsAsynchronously);

        public Task ReadStarted => _readStarted.Task;

        public ConcurrentDictionary<int, bool> ReadingThreads { get; } = new();

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void Add(byte[] bytes) => _items.Add(bytes);

        public void Fail(Exception failure) => _items.Add(failure);

        public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

        public override int Read(Span<byte> buffer)
        {
            ReadingThreads[Environment.CurrentManagedThreadId] = true;
            _readStarted.TrySetResult();
            object item = _items.Take();
            if (item is Exception failure)
            {
                throw failure;
            }

            byte[] bytes = (byte[])item;
            bytes.CopyTo(buffer);
            return bytes.Length;
        }

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            _items.Add(Array.Empty<byte>()); // a thread still reading gets the end
            base.Dispose(disposing);
        }
    }
}
