using System.IO.Pipes;
using System.Runtime.Versioning;

namespace PluginIpc.Tests.Processes;

/// <summary>Writes what a full pipe did not take from a thread that waits for room, and runs the continuation there.</summary>
[TestFixture]
[SupportedOSPlatform("linux")] // each test is ignored elsewhere
public sealed class PipeDrainWriterTests
{
    private const int PipeOverflow = 1024 * 1024; // far more than a pipe holds

    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_MoreThanThePipeHolds_AllBytesArriveInOrderAsTheReaderMakesRoom(CancellationToken cancellationToken)
    {
        using var pipe = NonBlockingPipe.Create();
        byte[] bytes = RandomBytes(PipeOverflow);

        ValueTask write = pipe.Drain.WriteAsync(bytes, cancellationToken);

        Assert.That(write.IsCompleted, Is.False, "nothing reads yet: the write waits for room");
        byte[] received = new byte[bytes.Length];
        await pipe.Reader.ReadExactlyAsync(received, cancellationToken);
        await write.AsTask().WaitAsync(cancellationToken);
        Assert.That(received, Is.EqualTo(bytes));
    }

    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_TheContinuationRunsOnTheWritingThread(CancellationToken cancellationToken)
    {
        using var pipe = NonBlockingPipe.Create();
        Task<string?> threadName = ContinueAfterAsync(pipe.Drain.WriteAsync(RandomBytes(PipeOverflow), cancellationToken));

        await pipe.Reader.ReadExactlyAsync(new byte[PipeOverflow], cancellationToken);

        Assert.That(await threadName.WaitAsync(cancellationToken), Is.EqualTo("PluginIpc pipe writer"));

        static async Task<string?> ContinueAfterAsync(ValueTask write)
        {
            await write.ConfigureAwait(false);
            return Thread.CurrentThread.Name;
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task WriteAsync_AContinuationBlocksUntilItsNextWriteIsDone_AnotherThreadWritesIt(CancellationToken cancellationToken)
    {
        // A caller's code that goes on from a write (such as a send awaited by a handler) and then blocks on its next
        // write, sync over async, must not hold up the thread that write needs.
        using var pipe = NonBlockingPipe.Create();
        byte[] first = RandomBytes(PipeOverflow);
        byte[] second = RandomBytes(PipeOverflow);
        Task chain = BlockOnNextWriteAsync(pipe.Drain.WriteAsync(first, cancellationToken), pipe.Drain, second, cancellationToken);

        byte[] received = new byte[first.Length + second.Length];
        await pipe.Reader.ReadExactlyAsync(received, cancellationToken);
        await chain.WaitAsync(cancellationToken);

        Assert.That(received.AsSpan(0, first.Length).SequenceEqual(first), Is.True);
        Assert.That(received.AsSpan(first.Length).SequenceEqual(second), Is.True);

        static async Task BlockOnNextWriteAsync(ValueTask write, PipeDrainWriter drain, byte[] next, CancellationToken cancellationToken)
        {
            await write.ConfigureAwait(false);
            drain.WriteAsync(next, cancellationToken).AsTask().Wait(cancellationToken); // on the writing thread
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_TheReaderClosesWhileItWaitsForRoom_FailsWithIOException(CancellationToken cancellationToken)
    {
        using var pipe = NonBlockingPipe.Create();
        ValueTask write = pipe.Drain.WriteAsync(RandomBytes(PipeOverflow), cancellationToken);
        Assert.That(write.IsCompleted, Is.False);

        pipe.Reader.Dispose(); // the only reading end

        Assert.That(async () => await write.AsTask().WaitAsync(cancellationToken), Throws.InstanceOf<IOException>());
    }

    [Test, CancelAfter(10_000)]
    public async Task Dispose_WhileAWriteWaitsForRoom_FailsItWithObjectDisposedException(CancellationToken cancellationToken)
    {
        using var pipe = NonBlockingPipe.Create();
        ValueTask write = pipe.Drain.WriteAsync(RandomBytes(PipeOverflow), cancellationToken);
        Assert.That(write.IsCompleted, Is.False);

        pipe.Drain.Dispose(); // nobody will ever read: the wait for room must still end

        Assert.That(async () => await write.AsTask().WaitAsync(cancellationToken), Throws.InstanceOf<ObjectDisposedException>());
        Assert.That(async () => await pipe.Drain.WriteAsync(new byte[1], cancellationToken), Throws.InstanceOf<ObjectDisposedException>());
    }

    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_CancelledWhileItWaitsForRoom_FailsWithOperationCanceledException(CancellationToken cancellationToken)
    {
        using var pipe = NonBlockingPipe.Create();
        using var cancel = new CancellationTokenSource();
        ValueTask write = pipe.Drain.WriteAsync(RandomBytes(PipeOverflow), cancel.Token);
        Assert.That(write.IsCompleted, Is.False);

        await cancel.CancelAsync(); // nobody reads: only the token can end the wait

        // The write's own token, not the test's timeout, which would end WaitAsync with an OperationCanceledException too.
        Assert.That(
            async () => await write.AsTask().WaitAsync(cancellationToken),
            Throws.InstanceOf<OperationCanceledException>().With.Property(nameof(OperationCanceledException.CancellationToken)).EqualTo(cancel.Token));
    }

    [Test]
    public void WriteAsync_Empty_CompletesAtOnce()
    {
        using var pipe = NonBlockingPipe.Create();

        Assert.That(IsDone(pipe.Drain.WriteAsync(ReadOnlyMemory<byte>.Empty)), Is.True);

        static bool IsDone(ValueTask write) => write.IsCompletedSuccessfully;
    }

    private static byte[] RandomBytes(int count)
    {
        byte[] bytes = new byte[count];
        new Random(count).NextBytes(bytes);
        return bytes;
    }

    /// <summary>An anonymous pipe whose write end is non-blocking, as the channel's pipes are, with a drain writer on it.</summary>
    private sealed class NonBlockingPipe : IDisposable
    {
        private readonly AnonymousPipeServerStream _server;

        private NonBlockingPipe(AnonymousPipeServerStream server, AnonymousPipeClientStream reader)
        {
            _server = server;
            Reader = reader;
            Drain = new PipeDrainWriter(server.SafePipeHandle);
        }

        public AnonymousPipeClientStream Reader { get; }

        public PipeDrainWriter Drain { get; }

        public static NonBlockingPipe Create()
        {
            if (!OperatingSystem.IsLinux())
            {
                Assert.Ignore("The drain writer is Linux only.");
            }

            var server = new AnonymousPipeServerStream(PipeDirection.Out);
            var reader = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
            Assert.That(UnixNative.TrySetNonBlocking(server.SafePipeHandle), Is.True);
            return new NonBlockingPipe(server, reader);
        }

        public void Dispose()
        {
            Drain.Dispose();
            Reader.Dispose();
            _server.Dispose();
        }
    }
}
