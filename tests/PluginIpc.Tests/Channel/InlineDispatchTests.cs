using System.Diagnostics;
using PluginIpc.Tests.Host;

namespace PluginIpc.Tests.Channel;

/// <summary>
/// Handlers and callers' continuations run inline on the read loop when they are quick. These tests make them block or
/// run slow on purpose, and check that the channel keeps reading and learns to run them elsewhere.
/// </summary>
[TestFixtureSource(typeof(Transports), nameof(Transports.FramerAndTransport))]
public sealed class InlineDispatchTests(string framer, string transport)
{
    private const int ReadLoopStalled = 110;
    private const int HandlerMovedToThreadPool = 111;
    private const int CompletionsMovedToThreadPool = 112;

    /// <summary>How many slow runs a test makes at most while it waits for their work to move to the thread pool.</summary>
    private const int MaxSlowRuns = 20;
    private static readonly ChunkHandler s_echo = static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer);

    [Test, CancelAfter(20_000)]
    public async Task HandlerBlockingItsThread_OtherCallsAreStillAnswered(CancellationToken cancellationToken)
    {
        var logs = new CapturingLoggerFactory();
        await using ChannelPair pair = ChannelPair.Create(framer, transport, configurePlugin: o => o.LoggerFactory = logs);
        using var release = new ManualResetEventSlim();
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle("block", (chunk, _, _) =>
        {
            entered.TrySetResult();
            release.Wait(CancellationToken.None); // Blocks whatever thread runs it, as careless synchronous code would.
            return ValueTask.FromResult(chunk.Buffer);
        });
        pair.Plugin.Handle("echo", s_echo);
        pair.Start();
        try
        {
            Task<string> blocked = pair.Host.CallAsync("block", "b", cancellationToken);
            await entered.Task.WaitAsync(cancellationToken);

            for (int i = 0; i < 20; i++)
            {
                Assert.That(await pair.Host.CallAsync("echo", "e" + i, cancellationToken), Is.EqualTo("e" + i));
            }

            Assert.That(blocked.IsCompleted, Is.False, "the blocking handler is still running");
            release.Set();
            Assert.That(await blocked, Is.EqualTo("b"));
            CapturingLoggerFactory.LoggedEntry stall = await logs.WaitForAsync(e => e.EventId.Id == ReadLoopStalled, cancellationToken);
            Assert.That(stall.Message, Does.Contain("'block'"));
        }
        finally
        {
            release.Set();
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task HandlerBlockingItsThread_IsCancelledByItsCaller(CancellationToken cancellationToken)
    {
        // The cancel arrives while the handler holds the read loop, so the loop that takes over reading must find it.
        await using ChannelPair pair = ChannelPair.Create(framer, transport);
        var (entered, sawCancel) = HandleBlockingUntilCancelled(pair.Plugin);
        pair.Start();
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        Task<string> call = pair.Host.CallAsync("block", "b", caller.Token);
        await entered.WaitAsync(cancellationToken);
        await caller.CancelAsync();

        Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(await sawCancel.WaitAsync(cancellationToken), Is.True, "the handler's token fired");
    }

    [TestCase(false), TestCase(true), CancelAfter(20_000)]
    public async Task HandlerAfterQuickOnes_IsCancelledByItsCaller(bool blocking, CancellationToken cancellationToken)
    {
        // The loop reuses the request of a handler that ended inline for the next one: each must be a request of its own.
        await using ChannelPair pair = ChannelPair.Create(framer, transport);
        var (blockEntered, blockSawCancel) = HandleBlockingUntilCancelled(pair.Plugin);
        var waitEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var waitSawCancel = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle("wait", async (chunk, _, token) =>
        {
            waitEntered.TrySetResult();
            try
            {
                await Task.Delay(TimeSpan.FromSeconds(15), token);
                waitSawCancel.TrySetResult(false);
            }
            catch (OperationCanceledException)
            {
                waitSawCancel.TrySetResult(true);
            }

            return chunk.Buffer;
        });
        pair.Plugin.Handle("echo", s_echo);
        pair.Start();
        for (int i = 0; i < 3; i++)
        {
            Assert.That(await pair.Host.CallAsync("echo", "e" + i, cancellationToken), Is.EqualTo("e" + i));
        }

        using var caller = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<string> call = pair.Host.CallAsync(blocking ? "block" : "wait", "x", caller.Token);
        await (blocking ? blockEntered : waitEntered.Task).WaitAsync(cancellationToken);
        await caller.CancelAsync();

        Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(await (blocking ? blockSawCancel : waitSawCancel.Task).WaitAsync(cancellationToken), Is.True, "the handler's token fired");
        Assert.That(await pair.Host.CallAsync("echo", "after", cancellationToken), Is.EqualTo("after"));
    }

    [Test, CancelAfter(20_000)]
    public async Task UnknownCommandAfterQuickOnes_ItsThreadIdIsFreeOnceAnswered(CancellationToken cancellationToken)
    {
        // The request reused after quick inline handlers goes to the thread pool here: it must leave the in-flight table.
        var (channel, peer) = RawPeer.Create(framer, transport);
        await using (channel)
        await using (peer)
        {
            channel.Handle("echo", s_echo);
            channel.Start();
            for (ulong id = 1; id <= 3; id++)
            {
                await peer.WriteChunkAsync(new Chunk { ThreadId = id, Direction = Direction.Request, Cmd = "echo", Buffer = "e"u8.ToArray() }, cancellationToken);
                Assert.That((await peer.ReadChunkAsync(cancellationToken)).Cmd, Is.EqualTo("echo"));
            }

            await peer.WriteChunkAsync(new Chunk { ThreadId = 4, Direction = Direction.Request, Cmd = "nobody", Buffer = "n"u8.ToArray() }, cancellationToken);
            Chunk unknown = await peer.ReadChunkAsync(cancellationToken);
            await peer.WriteChunkAsync(new Chunk { ThreadId = 4, Direction = Direction.Request, Cmd = "echo", Buffer = "again"u8.ToArray() }, cancellationToken);
            Chunk again = await peer.ReadChunkAsync(cancellationToken);

            Assert.That(System.Text.Encoding.UTF8.GetString(unknown.Buffer.Span), Does.Contain(ErrorCodes.UnknownCommand));
            Assert.That(again.Cmd, Is.EqualTo("echo"), System.Text.Encoding.UTF8.GetString(again.Buffer.Span));
            Assert.That(again.Buffer.ToArray(), Is.EqualTo("again"u8.ToArray()));
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task HandlerBlockingItsThread_IsCancelledWhenTheChannelCloses(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create(framer, transport);
        var (entered, sawCancel) = HandleBlockingUntilCancelled(pair.Plugin);
        pair.Start();

        Task<string> call = pair.Host.CallAsync("block", "b", cancellationToken);
        await entered.WaitAsync(cancellationToken);
        await pair.Plugin.DisposeAsync();

        Assert.That(await sawCancel.WaitAsync(cancellationToken), Is.True, "the handler's token fired");
        try
        {
            await call; // The handler answers once cancelled, and its answer may still go out as the channel closes.
        }
        catch (ChannelClosedException)
        {
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task HandlerBlockingItsThread_ItsThreadIdStaysInFlight(CancellationToken cancellationToken)
    {
        var (channel, peer) = RawPeer.Create(framer, transport);
        await using (channel)
        await using (peer)
        using (var release = new ManualResetEventSlim())
        {
            var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            channel.Handle("block", (chunk, _, _) =>
            {
                entered.TrySetResult();
                release.Wait(CancellationToken.None); // Holds the read loop until the test lets go.
                return ValueTask.FromResult(chunk.Buffer);
            });
            channel.Handle("echo", s_echo);
            channel.Start();
            try
            {
                await peer.WriteChunkAsync(new Chunk { ThreadId = 7, Direction = Direction.Request, Cmd = "block", Buffer = "a"u8.ToArray() }, cancellationToken);
                await entered.Task.WaitAsync(cancellationToken);
                await peer.WriteChunkAsync(new Chunk { ThreadId = 7, Direction = Direction.Request, Cmd = "echo", Buffer = "b"u8.ToArray() }, cancellationToken);
                Chunk rejection = await peer.ReadChunkAsync(cancellationToken); // read by the loop that took over
                release.Set();
                Chunk answer = await peer.ReadChunkAsync(cancellationToken);

                Assert.That(rejection.Cmd, Is.EqualTo(Commands.Error));
                Assert.That(System.Text.Encoding.UTF8.GetString(rejection.Buffer.Span), Does.Contain(ErrorCodes.InvalidRequest));
                Assert.That(answer.ThreadId, Is.EqualTo(7UL));
                Assert.That(answer.Buffer.ToArray(), Is.EqualTo("a"u8.ToArray()));
            }
            finally
            {
                release.Set();
            }
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task ContinuationBlockingOnAnotherCall_Completes(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create(framer, transport);
        pair.Plugin.Handle("echo", s_echo);
        pair.Start();

        // The code after the first await may run inline on the host's read loop; blocking there on a second call's answer
        // (sync over async, on purpose) must not deadlock: the read loop is taken over and the answer still arrives.
        string second = await Task.Run(
            async () =>
            {
                await pair.Host.CallAsync("echo", "first", cancellationToken);
                return pair.Host.CallAsync("echo", "second", cancellationToken).GetAwaiter().GetResult();
            },
            cancellationToken).WaitAsync(cancellationToken);

        Assert.That(second, Is.EqualTo("second"));
    }

    [Test, CancelAfter(20_000)]
    public async Task HandlerSlowThreeTimesInARow_MovesToThreadPool(CancellationToken cancellationToken)
    {
        var logs = new CapturingLoggerFactory();
        await using ChannelPair pair = ChannelPair.Create(framer, transport, configurePlugin: o => o.LoggerFactory = logs);
        pair.Plugin.Handle("slow", (chunk, _, _) =>
        {
            BusyFor(TimeSpan.FromMilliseconds(5));
            return ValueTask.FromResult(chunk.Buffer);
        });
        pair.Plugin.Handle("echo", s_echo);
        pair.Start();

        await pair.Host.CallAsync("echo", "warm", cancellationToken);
        Assert.That(logs.Entries.Any(e => e.EventId.Id == HandlerMovedToThreadPool), Is.False, "a quick handler stays inline");

        // The guard notices the first slow run with a coarse clock (a step of a few milliseconds) and counts the runs after it
        // with a precise one; the move is logged before the answer that makes it goes out.
        int slowCalls = 0;
        while (!logs.Entries.Any(e => e.EventId.Id == HandlerMovedToThreadPool) && slowCalls < MaxSlowRuns)
        {
            Assert.That(await pair.Host.CallAsync("slow", "s" + slowCalls, cancellationToken), Is.EqualTo("s" + slowCalls));
            slowCalls++;
        }

        CapturingLoggerFactory.LoggedEntry? moved = logs.Entries.FirstOrDefault(e => e.EventId.Id == HandlerMovedToThreadPool);
        Assert.That(moved, Is.Not.Null, $"the handler still runs inline after {slowCalls} slow runs");
        Assert.That(moved!.Message, Does.Contain("'slow'"));
        Assert.That(slowCalls, Is.GreaterThanOrEqualTo(3), "three slow runs in a row move a handler, not fewer");
        Assert.That(await pair.Host.CallAsync("slow", "after", cancellationToken), Is.EqualTo("after"));
        Assert.That(logs.Entries.Count(e => e.EventId.Id == HandlerMovedToThreadPool), Is.EqualTo(1));
    }

    [Test, CancelAfter(20_000)]
    public async Task HandlerSlowAmongQuickOnesReadTogether_MovesAloneToThreadPool(CancellationToken cancellationToken)
    {
        // The guard times a whole read at once; a slow read of several requests must still find which handler was slow.
        var logs = new CapturingLoggerFactory();
        var (channel, peer) = RawPeer.Create(framer, transport, new ChannelOptions { LoggerFactory = logs });
        await using (channel)
        await using (peer)
        {
            channel.Handle("slow", (chunk, _, _) =>
            {
                BusyFor(TimeSpan.FromMilliseconds(5));
                return ValueTask.FromResult(chunk.Buffer);
            });
            channel.Handle("echo", s_echo);
            channel.Start();

            ulong threadId = 0;
            for (int round = 0; round < MaxSlowRuns && !logs.Entries.Any(e => e.EventId.Id == HandlerMovedToThreadPool); round++)
            {
                var requests = new List<Chunk>();
                for (int i = 0; i < 9; i++)
                {
                    string cmd = i == 4 ? "slow" : "echo";
                    requests.Add(new Chunk { ThreadId = ++threadId, Direction = Direction.Request, Cmd = cmd, Buffer = new byte[] { (byte)i } });
                }

                await peer.WriteChunksAsync(requests, cancellationToken);
                var answered = new HashSet<ulong>();
                for (int i = 0; i < requests.Count; i++)
                {
                    Chunk response = await peer.ReadChunkAsync(cancellationToken);
                    Assert.That(response.Direction, Is.EqualTo(Direction.Response));
                    answered.Add(response.ThreadId);
                }

                Assert.That(answered, Is.EquivalentTo(requests.Select(r => r.ThreadId)));
            }

            // Each move is logged before the answers of its read go out.
            CapturingLoggerFactory.LoggedEntry? moved = logs.Entries.FirstOrDefault(e => e.EventId.Id == HandlerMovedToThreadPool);
            Assert.That(moved, Is.Not.Null, $"the slow handler still runs inline after {MaxSlowRuns} reads");
            Assert.That(moved!.Message, Does.Contain("'slow'"));
            Assert.That(logs.Entries.Count(e => e.EventId.Id == HandlerMovedToThreadPool), Is.EqualTo(1), "the quick handler stays inline");
        }
    }

    [Test, CancelAfter(20_000)]
    public async Task ContinuationSlowThreeTimesInARow_CompletionsMoveToThreadPool(CancellationToken cancellationToken)
    {
        var logs = new CapturingLoggerFactory();
        await using ChannelPair pair = ChannelPair.Create(framer, transport, configureHost: o => o.LoggerFactory = logs);
        pair.Plugin.Handle("echo", s_echo);
        pair.Start();

        int slowRuns = await Task.Run(
            async () =>
            {
                int runs = 0;
                while (!logs.Entries.Any(e => e.EventId.Id == CompletionsMovedToThreadPool) && runs < MaxSlowRuns)
                {
                    await pair.Host.CallAsync("echo", "x", cancellationToken);
                    BusyFor(TimeSpan.FromMilliseconds(5)); // Runs inline on the read loop, unless the answer came before the await.
                    runs++;
                }

                return runs;
            },
            cancellationToken).WaitAsync(cancellationToken);

        // The last run's move is logged once it returns to the read loop, after the test's code above has finished.
        using var moveLogged = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        moveLogged.CancelAfter(TimeSpan.FromSeconds(5));
        Assert.That(
            async () => await logs.WaitForAsync(e => e.EventId.Id == CompletionsMovedToThreadPool, moveLogged.Token),
            Throws.Nothing,
            $"callers' continuations still run inline after {slowRuns} slow runs");
        Assert.That(slowRuns, Is.GreaterThanOrEqualTo(3), "three slow runs in a row move the completions, not fewer");
        Assert.That(await pair.Host.CallAsync("echo", "after", cancellationToken), Is.EqualTo("after"));
    }

    /// <summary>
    /// Handles "block" by blocking its thread until its token fires (15 s at most), as synchronous code waiting on a token
    /// would, and tells when it entered and whether the token fired.
    /// </summary>
    private static (Task Entered, Task<bool> SawCancel) HandleBlockingUntilCancelled(PluginIpc.Channel channel)
    {
        var entered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var sawCancel = new TaskCompletionSource<bool>(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Handle("block", (chunk, _, token) =>
        {
            entered.TrySetResult();
            sawCancel.TrySetResult(token.WaitHandle.WaitOne(TimeSpan.FromSeconds(15)));
            return ValueTask.FromResult(chunk.Buffer);
        });
        return (entered.Task, sawCancel.Task);
    }

    /// <summary>Keeps the thread busy, as CPU-bound handler code does.</summary>
    private static void BusyFor(TimeSpan duration)
    {
        long start = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(start) < duration)
        {
            Thread.SpinWait(100);
        }
    }
}
