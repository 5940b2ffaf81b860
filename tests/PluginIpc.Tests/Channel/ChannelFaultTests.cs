using System.Diagnostics;

namespace PluginIpc.Tests.Channel;

[TestFixtureSource(typeof(Transports), nameof(Transports.FramerAndTransport))]
public sealed class ChannelFaultTests(string framer, string transport)
{
    // Bytes that no chunk of the framing can start with: a non-digit for text, the reserved 0xc1 for msgpack.
    private byte[] Garbage => framer == "text" ? "x!garbage"u8.ToArray() : [0xc1, 0xff, 0x00];

    [Test, CancelAfter(10_000)]
    public async Task ReadLoop_GarbageMidStream_ClosesWithProtocolErrorAndFailsPendingCalls(CancellationToken cancellationToken)
    {
        var (channel, peer) = RawPeer.Create(framer, transport);
        await using (channel)
        await using (peer)
        {
            Task<string> answered = channel.CallAsync("echo", "one", cancellationToken);
            Task<string> pending = channel.CallAsync("echo", "two", cancellationToken);
            Chunk first = await peer.ReadChunkAsync(cancellationToken);
            Chunk second = await peer.ReadChunkAsync(cancellationToken);
            Chunk firstRequest = first.Cmd == "echo" && first.Buffer.Span.SequenceEqual("one"u8) ? first : second;

            await peer.WriteChunkAsync(new Chunk { ThreadId = firstRequest.ThreadId, Direction = Direction.Response, Cmd = "echo", Buffer = firstRequest.Buffer }, cancellationToken);
            var stopwatch = Stopwatch.StartNew();
            await peer.WriteRawAsync(Garbage, cancellationToken);

            Assert.That(await answered, Is.EqualTo("one"));
            Exception? failure = await Failure.Of(pending);
            Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(1)));
            Assert.That(failure, Is.InstanceOf<ChannelClosedException>());
            Assert.That(failure!.InnerException, Is.InstanceOf<ProtocolException>());
            await channel.Completion.WaitAsync(cancellationToken);
            Assert.That(channel.CloseReason, Is.InstanceOf<ProtocolException>());
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLoop_InputEndsInsideChunk_ClosesWithProtocolError(CancellationToken cancellationToken)
    {
        var (channel, peer) = RawPeer.Create(framer, transport);
        await using (channel)
        await using (peer)
        {
            channel.Start();
            var writer = new System.Buffers.ArrayBufferWriter<byte>();
            Framers.Create(framer).Write(new Chunk { ThreadId = 1, Direction = Direction.OneWay, Cmd = "cut", Buffer = new byte[100] }, writer);

            await peer.WriteRawAsync(writer.WrittenSpan[..50].ToArray(), cancellationToken);
            await peer.CompleteOutputAsync();

            await channel.Completion.WaitAsync(cancellationToken);
            Assert.That(channel.CloseReason, Is.InstanceOf<ProtocolException>().With.Message.Contains("ended inside a chunk"));
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLoop_InputEndsInsideALargeBuffer_ClosesWithProtocolErrorAndFailsPendingCalls(CancellationToken cancellationToken)
    {
        // Over OS pipes, most of this buffer is read straight into its array: the end must be reported the same way.
        var (channel, peer) = RawPeer.Create(framer, transport);
        await using (channel)
        await using (peer)
        {
            Task<string> pending = channel.CallAsync("echo", "waiting", cancellationToken);
            await peer.ReadChunkAsync(cancellationToken);
            var writer = new System.Buffers.ArrayBufferWriter<byte>();
            Framers.Create(framer).Write(new Chunk { ThreadId = 1, Direction = Direction.OneWay, Cmd = "cut", Buffer = new byte[512 * 1024] }, writer);

            await peer.WriteRawAsync(writer.WrittenSpan[..(100 * 1024)].ToArray(), cancellationToken);
            await peer.CompleteOutputAsync();

            Exception? failure = await Failure.Of(pending);
            Assert.That(failure, Is.InstanceOf<ChannelClosedException>());
            Assert.That(failure!.InnerException, Is.InstanceOf<ProtocolException>().With.Message.Contains("ended inside a chunk"));
            await channel.Completion.WaitAsync(cancellationToken);
            Assert.That(channel.CloseReason, Is.InstanceOf<ProtocolException>().With.Message.Contains("ended inside a chunk"));
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task ReadLoop_ResponseNobodyAwaits_IsDroppedAndChannelStaysOpen(CancellationToken cancellationToken)
    {
        var (channel, peer) = RawPeer.Create(framer, transport);
        await using (channel)
        await using (peer)
        {
            channel.Start();
            await peer.WriteChunkAsync(new Chunk { ThreadId = 999_999, Direction = Direction.Response, Cmd = "echo", Buffer = "stray"u8.ToArray() }, cancellationToken);
            await peer.WriteChunkAsync(new Chunk { ThreadId = 123, Direction = Direction.Cancel, Cmd = "nothing" }, cancellationToken);
            await peer.WriteChunkAsync(new Chunk { Direction = Direction.Noop }, cancellationToken);
            await peer.WriteChunkAsync(new Chunk { ThreadId = 5, Direction = Direction.Request, Cmd = "cmd.ping" }, cancellationToken);

            Chunk pong = await peer.ReadChunkAsync(cancellationToken);

            Assert.That(pong.Direction, Is.EqualTo(Direction.Response));
            Assert.That(pong.ThreadId, Is.EqualTo(5UL));
            Assert.That(pong.Cmd, Is.EqualTo("cmd.ping"));
            Assert.That(pong.Buffer.Length, Is.Zero);
            Assert.That(channel.IsOpen, Is.True);
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task Dispatch_DuplicateThreadIdInFlight_AnswersInvalidRequest(CancellationToken cancellationToken)
    {
        var (channel, peer) = RawPeer.Create(framer, transport);
        await using (channel)
        await using (peer)
        {
            var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            channel.Handle("slow", async (chunk, _, ct) =>
            {
                started.TrySetResult();
                await release.Task.WaitAsync(ct);
                return chunk.Buffer;
            });
            channel.Start();

            await peer.WriteChunkAsync(new Chunk { ThreadId = 7, Direction = Direction.Request, Cmd = "slow", Buffer = "a"u8.ToArray() }, cancellationToken);
            await started.Task.WaitAsync(cancellationToken);
            await peer.WriteChunkAsync(new Chunk { ThreadId = 7, Direction = Direction.Request, Cmd = "slow", Buffer = "b"u8.ToArray() }, cancellationToken);
            Chunk rejection = await peer.ReadChunkAsync(cancellationToken);
            release.SetResult();
            Chunk answer = await peer.ReadChunkAsync(cancellationToken);

            Assert.That(rejection.Cmd, Is.EqualTo(Commands.Error));
            Assert.That(System.Text.Encoding.UTF8.GetString(rejection.Buffer.Span), Does.Contain(ErrorCodes.InvalidRequest));
            Assert.That(answer.Buffer.ToArray(), Is.EqualTo("a"u8.ToArray()));
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task Dispatch_ErrorBodyNotJson_CallerGetsRemoteErrorWithWholeBody(CancellationToken cancellationToken)
    {
        var (channel, peer) = RawPeer.Create(framer, transport);
        await using (channel)
        await using (peer)
        {
            Task<string> call = channel.CallAsync("thing", "x", cancellationToken);
            Chunk request = await peer.ReadChunkAsync(cancellationToken);
            await peer.WriteChunkAsync(new Chunk { ThreadId = request.ThreadId, Direction = Direction.Response, Cmd = Commands.Error, Buffer = "plain failure text"u8.ToArray() }, cancellationToken);

            RemoteException? error = await Failure.ThrowsAsync<RemoteException>(async () => await call);
            Assert.That(error!.Code, Is.EqualTo(ErrorCodes.RemoteError));
            Assert.That(error.Message, Is.EqualTo("plain failure text"));
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_CancelledByCaller_SendsCancelChunkWithIdAndCmd(CancellationToken cancellationToken)
    {
        var (channel, peer) = RawPeer.Create(framer, transport);
        await using (channel)
        await using (peer)
        {
            using var cancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            Task<string> call = channel.CallAsync("long", "x", cancellation.Token);
            Chunk request = await peer.ReadChunkAsync(cancellationToken);
            await cancellation.CancelAsync();
            Chunk cancel = await peer.ReadChunkAsync(cancellationToken);

            Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
            Assert.That(cancel.Direction, Is.EqualTo(Direction.Cancel));
            Assert.That(cancel.ThreadId, Is.EqualTo(request.ThreadId));
            Assert.That(cancel.Cmd, Is.EqualTo("long"));

            // A late answer for the withdrawn call is dropped, and the channel keeps working.
            await peer.WriteChunkAsync(new Chunk { ThreadId = request.ThreadId, Direction = Direction.Response, Cmd = "long" }, cancellationToken);
            Task<string> next = channel.CallAsync("next", "y", cancellationToken);
            Chunk nextRequest = await peer.ReadChunkAsync(cancellationToken);
            await peer.WriteChunkAsync(new Chunk { ThreadId = nextRequest.ThreadId, Direction = Direction.Response, Cmd = "next", Buffer = "fine"u8.ToArray() }, cancellationToken);
            Assert.That(await next, Is.EqualTo("fine"));
        }
    }
}
