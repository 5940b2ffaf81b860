using System.Buffers;
using System.Collections.Concurrent;

namespace PluginIpc.Tests.Channel;

/// <summary>A framer of the user's own, which the channel only knows as an <see cref="IChunkFramer"/>.</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class CustomFramerTests(string framer)
{
    [Test, CancelAfter(10_000)]
    public async Task Channel_FramerOnlyWritesChunks_EveryKindOfChunkGoesThroughItsWrite(CancellationToken cancellationToken)
    {
        var (hostPipe, pluginPipe) = TestPipes.CreatePair();
        var hostFramer = new RecordingFramer(Framers.Create(framer));
        await using var host = new PluginIpc.Channel(hostPipe, hostFramer);
        await using var plugin = new PluginIpc.Channel(pluginPipe, new RecordingFramer(Framers.Create(framer)));
        var notes = new TaskCompletionSource<Chunk>(TaskCreationOptions.RunContinuationsAsynchronously);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        plugin.Handle("note", (chunk, _, _) =>
        {
            notes.TrySetResult(chunk);
            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        plugin.Handle("wait", async (_, _, ct) =>
        {
            started.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled.TrySetResult(); // seen here, not by a registration: a registration disposed as the token fires may never run
                throw;
            }
            return ReadOnlyMemory<byte>.Empty;
        });
        host.Start();
        plugin.Start();

        ReadOnlyMemory<byte> answer = await host.CallAsync("echo", new byte[] { 1, 2, 3 }, cancellationToken);
        var headers = new Dictionary<string, string> { ["k"] = "v" };
        await host.NotifyAsync(new Chunk { ThreadId = 9, Direction = Direction.Request, Cmd = "note", Buffer = "n"u8.ToArray(), Headers = headers }, cancellationToken);
        Chunk note = await notes.Task.WaitAsync(cancellationToken);
        using var callerCancel = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<ReadOnlyMemory<byte>> waiting = host.CallAsync("wait", ReadOnlyMemory<byte>.Empty, callerCancel.Token);
        await started.Task.WaitAsync(cancellationToken);
        await callerCancel.CancelAsync();
        Assert.That(async () => await waiting, Throws.InstanceOf<OperationCanceledException>());
        await cancelled.Task.WaitAsync(cancellationToken);

        Assert.That(answer.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(note.Direction, Is.EqualTo(Direction.OneWay));
        Assert.That(note.ThreadId, Is.EqualTo(9UL));
        Assert.That(note.Buffer.ToArray(), Is.EqualTo("n"u8.ToArray()));
        Assert.That(note.Headers?["k"], framer == "msgpack" ? Is.EqualTo("v") : Is.Null, "only msgpack carries headers");
        Assert.That(
            hostFramer.Written.Select(c => (c.Direction, c.Cmd)),
            Is.EquivalentTo(new[] { (Direction.Request, "echo"), (Direction.OneWay, "note"), (Direction.Request, "wait"), (Direction.Cancel, "wait") }));
    }

    [Test, CancelAfter(10_000)]
    public async Task Channel_FramerWithTheCapabilities_GetsTheBuiltInFastPaths(CancellationToken cancellationToken)
    {
        // Over OS pipes a large buffer is read straight into its array through IChunkHeaderReader, and the channel's own
        // writes go through IOutgoingChunkFramer: a framer of the user's own that implements them is used the same way.
        var (hostInput, hostOutput, pluginInput, pluginOutput) = TestPipes.CreateOsPipes();
        var hostFramer = new CapableFramer(Framers.Create(framer));
        var pluginFramer = new CapableFramer(Framers.Create(framer));
        await using var host = new PluginIpc.Channel(hostInput, hostOutput, hostFramer);
        await using var plugin = new PluginIpc.Channel(pluginInput, pluginOutput, pluginFramer);
        plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        plugin.Start();

        byte[] large = new byte[1024 * 1024];
        Random.Shared.NextBytes(large);
        ReadOnlyMemory<byte> answer = await host.CallAsync("echo", large, cancellationToken);

        Assert.That(answer.Span.SequenceEqual(large), Is.True);
        Assert.That(hostFramer.OutgoingWrites, Is.GreaterThan(0), "the host's request went through IOutgoingChunkFramer");
        Assert.That(hostFramer.ChunkWrites, Is.Zero, "and not through IChunkFramer.Write");
        Assert.That(pluginFramer.HeadersRead + hostFramer.HeadersRead, Is.GreaterThan(0), "a large buffer was read through IChunkHeaderReader");
    }

    /// <summary>Frames through a built-in framer, with its optional capabilities, and counts what the channel uses.</summary>
    private sealed class CapableFramer(IChunkFramer inner) : IChunkFramer, IOutgoingChunkFramer, IChunkHeaderReader
    {
        public int ChunkWrites;
        public int OutgoingWrites;
        public int HeadersRead;

        public string Name => inner.Name;

        public void Write(Chunk chunk, IBufferWriter<byte> output)
        {
            Interlocked.Increment(ref ChunkWrites);
            inner.Write(chunk, output);
        }

        public void Write(in OutgoingChunk chunk, IBufferWriter<byte> output)
        {
            Interlocked.Increment(ref OutgoingWrites);
            ((IOutgoingChunkFramer)inner).Write(chunk, output);
        }

        public bool TryRead(ref ReadOnlySequence<byte> input, out Chunk? chunk) => inner.TryRead(ref input, out chunk);

        public bool TryReadHeader(ref ReadOnlySequence<byte> input, out ChunkHeader header)
        {
            bool read = ((IChunkHeaderReader)inner).TryReadHeader(ref input, out header);
            if (read)
            {
                Interlocked.Increment(ref HeadersRead);
            }

            return read;
        }
    }

    /// <summary>Frames through a built-in framer, and records each chunk it is given to write.</summary>
    private sealed class RecordingFramer(IChunkFramer inner) : IChunkFramer
    {
        public ConcurrentQueue<Chunk> Written { get; } = new();

        public string Name => inner.Name;

        public void Write(Chunk chunk, IBufferWriter<byte> output)
        {
            Written.Enqueue(chunk);
            inner.Write(chunk, output);
        }

        public bool TryRead(ref ReadOnlySequence<byte> input, out Chunk? chunk) => inner.TryRead(ref input, out chunk);
    }
}
