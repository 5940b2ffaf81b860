namespace PluginIpc.Tests.Channel;

/// <summary>
/// A peer that sends faster than its messages are handled is held back: the channel stops reading while too many one-way
/// messages or requests wait for their handlers, so the peer's own writes block, and nothing it sent is lost.
/// </summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class BackpressureTests(string framer)
{
    private const int Sent = 20_000;
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Test, CancelAfter(30_000)]
    public async Task OneWayFlood_ReadingPausesAtTheLimit_AndEveryMessageIsHandledInOrder(
        [Values] bool concurrent, CancellationToken cancellationToken)
    {
        var (channel, peer) = RawPeer.Create(framer, Transports.Memory, new ChannelOptions { MaxQueuedMessages = 16, ConcurrentOneWayDispatch = concurrent });
        await using (channel)
        await using (peer)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var handled = new List<int>();
            var allHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            channel.Handle("note", async (chunk, _, _) =>
            {
                await gate.Task;
                lock (handled)
                {
                    handled.Add(BitConverter.ToInt32(chunk.Buffer.Span));
                    if (handled.Count == Sent)
                    {
                        allHandled.TrySetResult();
                    }
                }

                return ReadOnlyMemory<byte>.Empty;
            });
            channel.Start();

            var blocked = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            Task sending = SendAsync(peer, Direction.OneWay, blocked, cancellationToken);

            await AssertHeldBackAsync(channel, sending, blocked, limit: 16, cancellationToken);

            gate.SetResult();
            await sending.WaitAsync(s_timeout, cancellationToken);
            await allHandled.Task.WaitAsync(s_timeout, cancellationToken);
            Assert.That(handled, concurrent ? Is.EquivalentTo(Enumerable.Range(0, Sent)) : Is.EqualTo(Enumerable.Range(0, Sent)), "every message handled, in order unless concurrent");
            Assert.That(channel.QueuedMessageCount, Is.Zero);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task RequestsBeyondTheHandlerSlots_ReadingPausesAtTheLimit_AndEveryRequestIsAnswered(CancellationToken cancellationToken)
    {
        var options = new ChannelOptions { MaxConcurrentHandlers = 4, MaxQueuedMessages = 16 };
        var (channel, peer) = RawPeer.Create(framer, Transports.Memory, options);
        await using (channel)
        await using (peer)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            int started = 0;
            channel.Handle("work", async (chunk, _, _) =>
            {
                Interlocked.Increment(ref started);
                await gate.Task;
                return chunk.Buffer;
            });
            channel.Start();

            var blocked = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            Task sending = SendAsync(peer, Direction.Request, blocked, cancellationToken);

            await AssertHeldBackAsync(channel, sending, blocked, limit: 16, cancellationToken);
            Assert.That(Volatile.Read(ref started), Is.EqualTo(4), "only the handler slots' worth of handlers run");

            gate.SetResult();
            var answered = new HashSet<ulong>();
            while (answered.Count < Sent)
            {
                Chunk response = await peer.ReadChunkAsync(cancellationToken);
                Assert.That(response.Direction, Is.EqualTo(Direction.Response), $"thread {response.ThreadId}: {response.Cmd}");
                Assert.That(answered.Add(response.ThreadId), Is.True, $"thread {response.ThreadId} answered twice");
            }

            await sending.WaitAsync(s_timeout, cancellationToken);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task LargeMessages_ReadingPausesAtTheByteLimit(CancellationToken cancellationToken)
    {
        var (channel, peer) = RawPeer.Create(framer, Transports.Memory, new ChannelOptions { MaxQueuedBytes = 16 * 1024 });
        await using (channel)
        await using (peer)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            channel.Handle("note", async (_, _, _) =>
            {
                await gate.Task;
                return ReadOnlyMemory<byte>.Empty;
            });
            channel.Start();

            var blocked = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            Task sending = SendAsync(peer, Direction.OneWay, blocked, cancellationToken, bodyBytes: 2 * 1024);

            // 16 KiB of 2 KiB bodies (and their commands) is eight messages; the first one runs.
            await AssertHeldBackAsync(channel, sending, blocked, limit: 8, cancellationToken);

            gate.SetResult();
            await sending.WaitAsync(s_timeout, cancellationToken);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task LargeRequests_RunningHandlersHoldAtMostTheByteLimit_TheRestWaitInOrder(CancellationToken cancellationToken)
    {
        // Handler slots alone let 256 handlers each hold a request of the framer's largest size.
        const int Body = 300 * 1024;
        var (channel, peer) = RawPeer.Create(framer, Transports.Memory, new ChannelOptions { MaxRunningRequestBytes = 1024 * 1024 });
        await using (channel)
        await using (peer)
        {
            var gates = new TaskCompletionSource[10];
            var started = new TaskCompletionSource<int>[10];
            for (int i = 1; i <= 9; i++)
            {
                gates[i] = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
                started[i] = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
            }

            channel.Handle("big", async (chunk, _, _) =>
            {
                int index = chunk.Buffer.Span[0] - '0';
                started[index].TrySetResult(chunk.Buffer.Length);
                await gates[index].Task;
                return ReadOnlyMemory<byte>.Empty;
            });
            channel.Handle("small", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
            channel.Start();

            for (int i = 1; i <= 6; i++)
            {
                await SendLargeAsync(peer, i, Body, cancellationToken);
            }

            // Three of 300 KiB fit in 1 MiB. A small request is not held back by the large ones that wait.
            await Task.WhenAll(started[1].Task, started[2].Task, started[3].Task).WaitAsync(s_timeout, cancellationToken);
            await peer.WriteChunkAsync(new Chunk { ThreadId = 100, Direction = Direction.Request, Cmd = "small", Buffer = "ok"u8.ToArray() }, cancellationToken);
            Chunk small = await peer.ReadChunkAsync(cancellationToken);
            Assert.That((small.ThreadId, small.Direction), Is.EqualTo((100UL, Direction.Response)));
            Task fourth = await Task.WhenAny(started[4].Task, Task.Delay(TimeSpan.FromMilliseconds(300), cancellationToken));
            Assert.That(fourth, Is.Not.SameAs(started[4].Task), "a fourth 300 KiB handler ran while three held 900 KiB of a 1 MiB limit");
            Assert.That(channel.QueuedMessageCount, Is.EqualTo(3), "the three that do not fit wait, counted in the backlog");

            // A waiting one that the caller withdraws is answered CANCELLED and never runs.
            await peer.WriteChunkAsync(new Chunk { ThreadId = 5, Direction = Direction.Cancel, Cmd = "big" }, cancellationToken);
            Chunk cancelled = await peer.ReadChunkAsync(cancellationToken);
            Assert.That((cancelled.ThreadId, cancelled.Cmd), Is.EqualTo((5UL, Commands.Error)));
            Assert.That(ErrorPayload.Decode(cancelled.Buffer.Span, "big").Code, Is.EqualTo(ErrorCodes.Cancelled));

            // One ends: the next in order (the fourth) fits; the sixth does not yet.
            gates[1].SetResult();
            Assert.That((await peer.ReadChunkAsync(cancellationToken)).ThreadId, Is.EqualTo(1UL));
            await started[4].Task.WaitAsync(s_timeout, cancellationToken);
            Assert.That(started[6].Task.IsCompleted, Is.False);

            foreach (int i in new[] { 2, 3, 4, 6 })
            {
                gates[i].SetResult();
            }

            var answered = new HashSet<ulong>();
            while (answered.Count < 4)
            {
                answered.Add((await peer.ReadChunkAsync(cancellationToken)).ThreadId);
            }

            Assert.That(answered, Is.EquivalentTo(new ulong[] { 2, 3, 4, 6 }));
            Assert.That(started[5].Task.IsCompleted, Is.False, "the withdrawn request's handler never ran");

            // Every byte came back: three more fit at once.
            for (int i = 7; i <= 9; i++)
            {
                await SendLargeAsync(peer, i, Body, cancellationToken);
            }

            await Task.WhenAll(started[7].Task, started[8].Task, started[9].Task).WaitAsync(s_timeout, cancellationToken);
            foreach (int i in new[] { 7, 8, 9 })
            {
                gates[i].SetResult();
            }
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task ALargeRequestThatWaitsLong_IsLogged_ThenRunsOnceRoomIsMade(CancellationToken cancellationToken)
    {
        // A chain of calls back whose large bodies pass the limit waits on itself until its calls time out: the log says why.
        var clock = new FakeClock();
        var logs = new PluginIpc.Tests.Host.CapturingLoggerFactory();
        var options = new ChannelOptions { MaxRunningRequestBytes = 1024 * 1024, TimeProvider = clock, LoggerFactory = logs, Name = "budget" };
        var (channel, peer) = RawPeer.Create(framer, Transports.Memory, options);
        await using (channel)
        await using (peer)
        {
            var gate = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            var second = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            channel.Handle("big", async (chunk, _, _) =>
            {
                if (chunk.Buffer.Span[0] == (byte)'2')
                {
                    second.TrySetResult();
                }

                await gate.Task;
                return ReadOnlyMemory<byte>.Empty;
            });
            channel.Start();

            await SendLargeAsync(peer, 1, 800 * 1024, cancellationToken);
            await SendLargeAsync(peer, 2, 800 * 1024, cancellationToken);
            await clock.WhenArmedAsync(TimeSpan.FromSeconds(5), cancellationToken).WaitAsync(s_timeout, cancellationToken);
            Assert.That(logs.Entries.Any(entry => entry.EventId.Id == 113), Is.False, "not before its time");
            clock.Advance(TimeSpan.FromSeconds(5));

            var logged = await logs.WaitForAsync(entry => entry.EventId.Id == 113, cancellationToken).WaitAsync(s_timeout, cancellationToken);
            Assert.That(logged.Message, Is.EqualTo($"Channel budget: request 'big' (thread 2, {800 * 1024} bytes) has waited 5 s for large requests' handlers to end ({800 * 1024} bytes held, MaxRunningRequestBytes {1024 * 1024}). If they wait for calls back to this side, raise the limit."));
            Assert.That(second.Task.IsCompleted, Is.False);
            gate.SetResult();
            await second.Task.WaitAsync(s_timeout, cancellationToken);
        }
    }

    private static Task SendLargeAsync(RawPeer peer, int index, int bytes, CancellationToken cancellationToken)
    {
        byte[] body = new byte[bytes];
        body.AsSpan().Fill((byte)'x');
        body[0] = (byte)('0' + index);
        return peer.WriteChunkAsync(new Chunk { ThreadId = (ulong)index, Direction = Direction.Request, Cmd = "big", Buffer = body }, cancellationToken);
    }

    [Test, CancelAfter(30_000)]
    public async Task ChunksOfOneRead_OverTheLimit_AreAllHandledWithNoFurtherInput([Values] bool concurrent, CancellationToken cancellationToken)
    {
        // Each round's chunks arrive in one read, and nothing follows them: the loop must dispatch what it left unread when it
        // paused, even if the backlog drained before it looked, instead of waiting for input that never comes.
        const int Rounds = 50, PerRound = 64;
        var (channel, peer) = RawPeer.Create(framer, Transports.Memory, new ChannelOptions { MaxQueuedMessages = 2, ConcurrentOneWayDispatch = concurrent });
        await using (channel)
        await using (peer)
        {
            int handled = 0;
            TaskCompletionSource roundDone = new(TaskCreationOptions.RunContinuationsAsynchronously);
            channel.Handle("note", (_, _, _) =>
            {
                if (Interlocked.Increment(ref handled) % PerRound == 0)
                {
                    Volatile.Read(ref roundDone).TrySetResult();
                }

                return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
            });
            channel.Start();

            for (int round = 0; round < Rounds; round++)
            {
                await peer.WriteChunksAsync(Enumerable.Range(0, PerRound).Select(_ => new Chunk { Direction = Direction.OneWay, Cmd = "note" }), cancellationToken);
                await roundDone.Task.WaitAsync(s_timeout, cancellationToken);
                Volatile.Write(ref roundDone, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            }

            Assert.That(Volatile.Read(ref handled), Is.EqualTo(Rounds * PerRound));
        }
    }

    /// <summary>Sends <see cref="Sent"/> numbered chunks, one flush each; reports how many went out before a flush first had to wait.</summary>
    private static async Task SendAsync(RawPeer peer, Direction direction, TaskCompletionSource<int> blocked, CancellationToken cancellationToken, int bodyBytes = 4)
    {
        await Task.Yield();
        for (int i = 0; i < Sent; i++)
        {
            byte[] body = new byte[bodyBytes];
            BitConverter.TryWriteBytes(body, i);
            string cmd = direction == Direction.Request ? "work" : "note";
            Task write = peer.WriteChunkAsync(new Chunk { ThreadId = direction == Direction.Request ? (ulong)i + 1 : 0, Direction = direction, Cmd = cmd, Buffer = body }, cancellationToken);
            if (!write.IsCompleted)
            {
                blocked.TrySetResult(i);
            }

            await write;
        }
    }

    /// <summary>
    /// Asserts that the peer's writes had to wait before it sent everything, and that the channel then held at most
    /// <paramref name="limit"/> messages waiting for their handlers.
    /// </summary>
    private static async Task AssertHeldBackAsync(PluginIpc.Channel channel, Task sending, TaskCompletionSource<int> blocked, int limit, CancellationToken cancellationToken)
    {
        Task first = await Task.WhenAny(sending, blocked.Task).WaitAsync(s_timeout, cancellationToken);
        Assert.That(first, Is.SameAs(blocked.Task), $"the peer sent all {Sent} chunks while their handlers were held: nothing held it back");

        // A write may wait now and then while the channel still reads; held back, the peer stays blocked.
        Task done = await Task.WhenAny(sending, Task.Delay(TimeSpan.FromMilliseconds(500), cancellationToken));
        Assert.That(done, Is.Not.SameAs(sending), $"the peer sent all {Sent} chunks while their handlers were held");
        Assert.That(channel.QueuedMessageCount, Is.InRange(1, limit), "messages waiting for their handlers");
    }
}
