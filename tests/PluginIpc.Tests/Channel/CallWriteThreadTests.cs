using System.Buffers;
using System.Collections.Concurrent;

namespace PluginIpc.Tests.Channel;

/// <summary>Which thread writes a call: calls made outside the thread pool while others are in flight go out together, on the pool.</summary>
public sealed class CallWriteThreadTests
{
    private const int Calls = 10;

    /// <summary>A host channel whose output records which thread wrote what, and a plugin that echoes once the gate opens.</summary>
    private static (PluginIpc.Channel Host, PluginIpc.Channel Plugin, RecordingWriteStream Output, TaskCompletionSource Gate) CreatePair()
    {
        var (hostInput, hostOutput, pluginInput, pluginOutput) = TestPipes.CreateOsPipes();
        var output = new RecordingWriteStream(hostOutput);
        var host = new PluginIpc.Channel(hostInput, output, new NullTerminatedFramer(), new ChannelOptions { Name = "host" });
        var plugin = new PluginIpc.Channel(pluginInput, pluginOutput, new NullTerminatedFramer(), new ChannelOptions { Name = "plugin" });
        var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Handle("echo", async (chunk, _, ct) =>
        {
            await gate.Task.WaitAsync(ct); // every call stays in flight until the test has made them all
            return chunk.Buffer;
        });
        host.Start();
        plugin.Start();
        return (host, plugin, output, gate);
    }

    private static Task<string>[] MakeCalls(PluginIpc.Channel host, CancellationToken cancellationToken) =>
        Enumerable.Range(0, Calls).Select(i => host.CallAsync("echo", $"call {i}", cancellationToken)).ToArray();

    private static async Task AssertAllAnswered(Task<string>[] calls, CancellationToken cancellationToken)
    {
        string[] answers = await Task.WhenAll(calls).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        Assert.That(answers, Is.EqualTo(Enumerable.Range(0, Calls).Select(i => $"call {i}")));
    }

    [Test, CancelAfter(20_000)]
    public async Task CallAsync_ManyInARowOutsideThePool_TheFirstIsWrittenOnTheCallerAndTheRestOnThePool(CancellationToken cancellationToken)
    {
        var (host, plugin, output, gate) = CreatePair();
        await using (host)
        await using (plugin)
        {
            var made = new TaskCompletionSource<(Task<string>[] Calls, int ThreadId)>(TaskCreationOptions.RunContinuationsAsynchronously);
            var caller = new Thread(() => made.SetResult((MakeCalls(host, cancellationToken), Environment.CurrentManagedThreadId))) { IsBackground = true };
            caller.Start();
            var (calls, callerThread) = await made.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
            gate.SetResult();
            await AssertAllAnswered(calls, cancellationToken);

            Assert.That(output.ChunksWrittenOn(callerThread), Is.EqualTo(1), "only the first call, made alone, is written on the caller's thread");
            Assert.That(output.ChunksWrittenOffThread(callerThread), Is.EqualTo(Calls - 1), "the calls made while others were in flight are written by the queued flush");
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task CallAsync_ManyInARowOnAPoolThread_AllAreWrittenOnIt(CancellationToken cancellationToken)
    {
        // A pool thread may go on to block on its calls: their writes must not wait for another pool thread.
        var (host, plugin, output, gate) = CreatePair();
        await using (host)
        await using (plugin)
        {
            var (calls, writtenBeforeReturning) = await Task.Run(
                () =>
                {
                    Task<string>[] made = MakeCalls(host, cancellationToken);
                    return (made, output.ChunksWrittenOn(Environment.CurrentManagedThreadId));
                },
                cancellationToken);
            gate.SetResult();
            await AssertAllAnswered(calls, cancellationToken);

            Assert.That(writtenBeforeReturning, Is.EqualTo(Calls), "every call is written on the pool thread before it goes on");
        }
    }

    /// <summary>Passes writes through to a stream and records, per write, the thread that made it and the bytes.</summary>
    private sealed class RecordingWriteStream(Stream inner) : Stream
    {
        private readonly ConcurrentQueue<(int ThreadId, byte[] Bytes)> _writes = new();

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public int ChunksWrittenOn(int threadId) => CountChunks(_writes.Where(w => w.ThreadId == threadId));

        public int ChunksWrittenOffThread(int threadId) => CountChunks(_writes.Where(w => w.ThreadId != threadId));

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            _writes.Enqueue((Environment.CurrentManagedThreadId, buffer.ToArray()));
            return inner.WriteAsync(buffer, cancellationToken);
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => inner.FlushAsync(cancellationToken);

        public override void Flush() => inner.Flush();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("The channel writes asynchronously.");

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }

        private static int CountChunks(IEnumerable<(int ThreadId, byte[] Bytes)> writes)
        {
            var framer = new NullTerminatedFramer();
            int count = 0;
            foreach (var (_, bytes) in writes)
            {
                var sequence = new ReadOnlySequence<byte>(bytes);
                while (framer.TryRead(ref sequence, out Chunk? chunk))
                {
                    count += chunk!.Direction == Direction.Request ? 1 : 0;
                }

                Assert.That(sequence.IsEmpty, Is.True, "each write holds whole chunks");
            }

            return count;
        }
    }
}
