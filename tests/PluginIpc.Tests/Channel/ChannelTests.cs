using System.Collections.Concurrent;
using System.Diagnostics;
using System.Text;
using System.Text.Json;

namespace PluginIpc.Tests.Channel;

[TestFixtureSource(typeof(Transports), nameof(Transports.FramerAndTransport))]
public sealed class ChannelTests(string framer, string transport)
{
    private static readonly ChunkHandler s_echo = static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer);

    private ChannelPair CreatePair(Action<ChannelOptions>? host = null, Action<ChannelOptions>? plugin = null) =>
        ChannelPair.Create(framer, transport, host, plugin);

    /// <summary>Registers <c>slow</c> on <paramref name="channel"/>: it answers <c>done</c> once the returned source is set.</summary>
    private static TaskCompletionSource HandleSlowUntilReleased(PluginIpc.Channel channel, out Task started)
    {
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Handle("slow", async (_, _, ct) =>
        {
            handlerStarted.TrySetResult();
            await release.Task.WaitAsync(ct);
            return "done"u8.ToArray();
        });
        started = handlerStarted.Task;
        return release;
    }

    /// <summary>Registers <c>hang</c> on <paramref name="channel"/>: it never answers, and the returned task completes when it is cancelled.</summary>
    private static Task HandleHangUntilCancelled(PluginIpc.Channel channel)
    {
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        channel.Handle("hang", async (_, _, ct) =>
        {
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled.SetResult(); // seen here, not by a registration: a registration disposed as the token fires may never run
                throw;
            }
            return ReadOnlyMemory<byte>.Empty;
        });
        return cancelled.Task;
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_Echo_ReturnsBufferAndText(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Plugin.Handle("echo", s_echo);
        pair.Start();

        ReadOnlyMemory<byte> bytes = await pair.Host.CallAsync("echo", "hi"u8.ToArray(), cancellationToken);
        string text = await pair.Host.CallAsync("echo", "ünïcødé/命令", cancellationToken);
        Chunk chunk = await pair.Host.CallAsync(new Chunk { Cmd = "echo", Buffer = new byte[] { 1, 2, 3 } }, cancellationToken);

        Assert.That(bytes.ToArray(), Is.EqualTo("hi"u8.ToArray()));
        Assert.That(text, Is.EqualTo("ünïcødé/命令"));
        Assert.That(chunk.Buffer.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(chunk.Direction, Is.EqualTo(Direction.Response));
        Assert.That(chunk.Cmd, Is.EqualTo("echo"));
    }

    [Test, CancelAfter(30_000)]
    public async Task CallAsync_ByteCall_MakesNoChunkForItsResponse(CancellationToken cancellationToken)
    {
        // The built-in framers hand a response's fields to its caller: only a call that returns the chunk makes one (56 bytes).
        await using ChannelPair pair = CreatePair();
        pair.Plugin.Handle("echo", s_echo);
        pair.Start();
        byte[] body = new byte[64];
        var request = new Chunk { Cmd = "echo", Buffer = body };
        for (int i = 0; i < 500; i++)
        {
            await pair.Host.CallAsync("echo", body, cancellationToken);
            await pair.Host.CallAsync(request, cancellationToken);
        }

        // Rounds of each kind back to back, and the median of their differences: both sides run in this process, and
        // whatever else allocates meanwhile (other tests' leftovers) mostly adds to both of a round's figures alike.
        var differences = new List<long>();
        for (int round = 0; round < 12; round++)
        {
            long start = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < 300; i++)
            {
                await pair.Host.CallAsync("echo", body, cancellationToken);
            }

            long middle = GC.GetTotalAllocatedBytes(precise: true);
            for (int i = 0; i < 300; i++)
            {
                await pair.Host.CallAsync(request, cancellationToken);
            }

            long end = GC.GetTotalAllocatedBytes(precise: true);
            differences.Add(((end - middle) - (middle - start)) / 300);
        }

        differences.Sort();
        long difference = differences[differences.Count / 2];
        TestContext.Out.WriteLine($"bytes per call, chunk call minus byte call: median {difference}, rounds {string.Join(' ', differences)}");
        Assert.That(difference, Is.GreaterThanOrEqualTo(32), "the byte call's response made a Chunk too (56 bytes)");
    }

    [Test, CancelAfter(60_000)]
    public async Task CallAsync_TenThousandConcurrentCallsEachWay_AllAnsweredCorrectly(CancellationToken cancellationToken)
    {
        const int Calls = 10_000;
        await using ChannelPair pair = CreatePair(o => o.DefaultCallTimeout = Timeout.InfiniteTimeSpan, o => o.DefaultCallTimeout = Timeout.InfiniteTimeSpan);
        ChunkHandler handler = static async (chunk, _, ct) =>
        {
            await Task.Yield();
            return Encoding.UTF8.GetBytes("re:" + Encoding.UTF8.GetString(chunk.Buffer.Span));
        };
        pair.Host.Handle("work", handler);
        pair.Plugin.Handle("work", handler);
        pair.Start();

        Task<string>[] fromHost = Enumerable.Range(0, Calls).Select(i => pair.Host.CallAsync("work", "h" + i, cancellationToken)).ToArray();
        Task<string>[] fromPlugin = Enumerable.Range(0, Calls).Select(i => pair.Plugin.CallAsync("work", "p" + i, cancellationToken)).ToArray();
        string[] hostAnswers = await Task.WhenAll(fromHost);
        string[] pluginAnswers = await Task.WhenAll(fromPlugin);

        Assert.That(hostAnswers, Is.EqualTo(Enumerable.Range(0, Calls).Select(i => "re:h" + i)));
        Assert.That(pluginAnswers, Is.EqualTo(Enumerable.Range(0, Calls).Select(i => "re:p" + i)));
        Assert.That(pair.Host.PendingCallCount, Is.Zero);
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_ReentrantChainOfDepthTen_Completes(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        ChunkHandler countdown = static async (chunk, channel, ct) =>
        {
            int depth = int.Parse(Encoding.UTF8.GetString(chunk.Buffer.Span), System.Globalization.CultureInfo.InvariantCulture);
            if (depth == 0)
            {
                return "bottom"u8.ToArray();
            }

            string below = await channel.CallAsync("down", (depth - 1).ToString(System.Globalization.CultureInfo.InvariantCulture), ct);
            return Encoding.UTF8.GetBytes(depth + ">" + below);
        };
        pair.Host.Handle("down", countdown);
        pair.Plugin.Handle("down", countdown);
        pair.Start();

        string answer = await pair.Host.CallAsync("down", "10", cancellationToken);

        Assert.That(answer, Is.EqualTo("10>9>8>7>6>5>4>3>2>1>bottom"));
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_CallerCancels_ThrowsAtOnceAndRemoteHandlerTokenFires(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle("wait", async (chunk, _, ct) =>
        {
            handlerStarted.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                handlerCancelled.SetResult();
                throw;
            }

            return ReadOnlyMemory<byte>.Empty;
        });
        pair.Start();
        using var callCancellation = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);

        Task<ReadOnlyMemory<byte>> call = pair.Host.CallAsync("wait", ReadOnlyMemory<byte>.Empty, callCancellation.Token);
        await handlerStarted.Task.WaitAsync(cancellationToken);
        await callCancellation.CancelAsync();

        Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
        await handlerCancelled.Task.WaitAsync(cancellationToken);
        Assert.That(pair.Host.PendingCallCount, Is.Zero);
        Assert.That(await pair.Host.CallAsync("cmd.ping", ReadOnlyMemory<byte>.Empty, cancellationToken), Is.EqualTo(ReadOnlyMemory<byte>.Empty));
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_NoAnswerWithinTimeout_ThrowsTimeoutAndCancelsRemote(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair(host => host.DefaultCallTimeout = TimeSpan.FromMilliseconds(200));
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var handlerCancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle("hang", async (_, _, ct) =>
        {
            handlerStarted.TrySetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                handlerCancelled.SetResult(); // seen here, not by a registration: a registration disposed as the token fires may never run
                throw;
            }
            return ReadOnlyMemory<byte>.Empty;
        });
        pair.Start();

        var stopwatch = Stopwatch.StartNew();
        Assert.That(async () => await pair.Host.CallAsync("hang", ReadOnlyMemory<byte>.Empty, cancellationToken), Throws.InstanceOf<TimeoutException>().With.Message.Contains("hang"));
        Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));

        // A round trip after the timeout: the plugin has read the request (if it was sent) and the Cancel before this answer.
        // Under load the 200 ms may pass before the request is written; then it is never sent, and nothing runs to cancel.
        await pair.Host.CallAsync("cmd.ping", ReadOnlyMemory<byte>.Empty, TimeSpan.FromSeconds(5), cancellationToken);
        if (handlerStarted.Task.IsCompleted)
        {
            await handlerCancelled.Task.WaitAsync(cancellationToken);
        }

        Assert.That(
            async () => await pair.Host.CallAsync("hang", ReadOnlyMemory<byte>.Empty, TimeSpan.FromMilliseconds(50), cancellationToken),
            Throws.InstanceOf<TimeoutException>());
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_CancelledWhileItsRequestIsBeingWritten_CancelFollowsTheRequest(CancellationToken cancellationToken)
    {
        // The caller gives up after the sender decided to write the request and before it did: the cancel must not overtake
        // the request, or the other side ignores it and runs the handler for nobody.
        await using ChannelPair pair = CreatePair();
        Task handlerCancelled = HandleHangUntilCancelled(pair.Plugin);
        pair.Start();
        using var caller = new CancellationTokenSource();
        pair.Host.BeforeRequestWrite = caller.Cancel;

        Assert.That(async () => await pair.Host.CallAsync("hang", ReadOnlyMemory<byte>.Empty, caller.Token), Throws.InstanceOf<OperationCanceledException>());
        pair.Host.BeforeRequestWrite = null;

        await handlerCancelled.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
    }

    [Test, CancelAfter(20_000)]
    public async Task CallAsync_CancelledWhileItsRequestWaitsForRoomInTheWriter_CancelFollowsTheRequest(CancellationToken cancellationToken)
    {
        // The other side reads nothing yet, so the writer is over its cap and the request waits for room, as does the cancel
        // written when the caller gives up: whichever goes first, the other side must end up with the handler cancelled.
        await using ChannelPair pair = CreatePair();
        Task handlerCancelled = HandleHangUntilCancelled(pair.Plugin);
        pair.Host.Start();
        byte[] bulk = new byte[3 * 1024 * 1024];
        bulk.AsSpan().Fill((byte)'a');
        ValueTask first = pair.Host.NotifyAsync("bulk", bulk, cancellationToken); // written out: waits for the reader
        await pair.Host.NotifyAsync("bulk", bulk, cancellationToken); // framed while the first is written: 3 MiB pending
        await pair.Host.NotifyAsync("bulk", bulk, cancellationToken); // 6 MiB pending: the writer is over its 4 MiB cap
        using var caller = new CancellationTokenSource();

        Task<ReadOnlyMemory<byte>> call = pair.Host.CallAsync("hang", ReadOnlyMemory<byte>.Empty, caller.Token);
        await caller.CancelAsync();

        Assert.That(async () => await call, Throws.InstanceOf<OperationCanceledException>());
        pair.Plugin.Start();
        await first;
        await handlerCancelled.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
    }

    [Test, CancelAfter(20_000)]
    public async Task NotifyAsync_WaitingForRoomInTheWriter_EndsWhenItsTokenFires(CancellationToken cancellationToken)
    {
        // The other side reads nothing, so the writer is over its cap and a one-way message waits for room: its token must
        // end that wait (a plugin that stopped reading would otherwise hold the sender forever), with nothing of it written.
        await using ChannelPair pair = CreatePair();
        pair.Host.Start();
        byte[] bulk = new byte[3 * 1024 * 1024];
        ValueTask first = pair.Host.NotifyAsync("bulk", bulk, cancellationToken); // written out: waits for the reader
        await pair.Host.NotifyAsync("bulk", bulk, cancellationToken); // framed while the first is written: 3 MiB pending
        await pair.Host.NotifyAsync("bulk", bulk, cancellationToken); // 6 MiB pending: the writer is over its 4 MiB cap
        using var sender = new CancellationTokenSource();

        Task waiting = pair.Host.NotifyAsync("late", "x"u8.ToArray(), sender.Token).AsTask();
        Assert.That(waiting.IsCompleted, Is.False, "it waits for room");
        await sender.CancelAsync();

        Assert.That(async () => await waiting.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken), Throws.InstanceOf<OperationCanceledException>());
        var received = new List<string>();
        var bulkSeen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        int bulks = 0;
        pair.Plugin.Handle("bulk", (_, _, _) =>
        {
            if (Interlocked.Increment(ref bulks) == 3)
            {
                bulkSeen.TrySetResult();
            }

            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        pair.Plugin.Handle("late", (_, _, _) =>
        {
            lock (received)
            {
                received.Add("late");
            }

            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        pair.Plugin.Start();
        await first;
        await bulkSeen.Task.WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);
        Assert.That(await pair.Host.CallAsync("cmd.ping", ReadOnlyMemory<byte>.Empty, cancellationToken), Is.EqualTo(ReadOnlyMemory<byte>.Empty));
        lock (received)
        {
            Assert.That(received, Is.Empty, "the cancelled message was never written");
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_LongTimeoutWatchedBySweep_ThrowsTimeoutOnTimeAndCancelsRemote(CancellationToken cancellationToken)
    {
        // Timeouts of a second or more are checked by the channel's periodic sweep rather than a timer per call.
        await using ChannelPair pair = CreatePair();
        Task handlerCancelled = HandleHangUntilCancelled(pair.Plugin);
        pair.Plugin.Handle("echo", s_echo);
        pair.Start();

        var stopwatch = Stopwatch.StartNew();
        Task<ReadOnlyMemory<byte>> hanging = pair.Host.CallAsync("hang", ReadOnlyMemory<byte>.Empty, TimeSpan.FromSeconds(1), cancellationToken);
        Task<ReadOnlyMemory<byte>> answered = pair.Host.CallAsync("echo", new byte[] { 1 }, TimeSpan.FromSeconds(1), cancellationToken);

        Assert.That((await answered).ToArray(), Is.EqualTo(new byte[] { 1 }), "a call answered in time is not timed out");
        Assert.That(async () => await hanging, Throws.InstanceOf<TimeoutException>().With.Message.Contains("hang"));
        Assert.That(stopwatch.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromSeconds(1)).And.LessThan(TimeSpan.FromSeconds(3)));
        await handlerCancelled.WaitAsync(cancellationToken);
        Assert.That(pair.Host.PendingCallCount, Is.Zero);
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_HandlerThrowsRemoteException_CallerGetsCodeMessageAndDetails(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        using JsonDocument details = JsonDocument.Parse("""{"id":42,"tags":["a","b"]}""");
        JsonElement detailsElement = details.RootElement.Clone();
        pair.Plugin.Handle("find", (_, _, _) => throw new RemoteException("NOT_FOUND", "no such thing", detailsElement));
        pair.Start();

        RemoteException? error = await Failure.ThrowsAsync<RemoteException>(async () => await pair.Host.CallAsync("find", "x", cancellationToken));

        Assert.That(error!.Code, Is.EqualTo("NOT_FOUND"));
        Assert.That(error.Message, Is.EqualTo("no such thing"));
        Assert.That(error.Cmd, Is.EqualTo("find"));
        Assert.That(error.Details?.GetProperty("id").GetInt32(), Is.EqualTo(42));
        Assert.That(error.Details?.GetProperty("tags")[1].GetString(), Is.EqualTo("b"));
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_HandlerThrowsOtherException_HandlerErrorWithoutStackTrace(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Plugin.Handle("boom", (_, _, _) => throw new InvalidOperationException("kaput"));
        pair.Plugin.Handle("echo", s_echo);
        pair.Start();

        RemoteException? error = await Failure.ThrowsAsync<RemoteException>(async () => await pair.Host.CallAsync("boom", "x", cancellationToken));

        Assert.That(error!.Code, Is.EqualTo(ErrorCodes.HandlerError));
        Assert.That(error.Message, Is.EqualTo("kaput"));
        Assert.That(error.Details, Is.Null);
        Assert.That(await pair.Host.CallAsync("echo", "still alive", cancellationToken), Is.EqualTo("still alive"));
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_IncludeExceptionDetails_SendsExceptionText(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair(plugin: o => o.IncludeExceptionDetails = true);
        pair.Plugin.Handle("boom", (_, _, _) => throw new InvalidOperationException("kaput"));
        pair.Start();

        RemoteException? error = await Failure.ThrowsAsync<RemoteException>(async () => await pair.Host.CallAsync("boom", "x", cancellationToken));

        Assert.That(error!.Details?.GetString(), Does.Contain("InvalidOperationException").And.Contain("kaput"));
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_UnknownCommand_ThrowsUnknownCommand(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Start();

        RemoteException? error = await Failure.ThrowsAsync<RemoteException>(async () => await pair.Host.CallAsync("nope", "x", cancellationToken));

        Assert.That(error!.Code, Is.EqualTo(ErrorCodes.UnknownCommand));
        Assert.That(error.Message, Does.Contain("nope"));
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_FallbackHandler_HandlesUnregisteredCommands(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Plugin.HandleFallback((chunk, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("fallback:" + chunk.Cmd)));
        pair.Start();

        Assert.That(await pair.Host.CallAsync("any/thing", "x", cancellationToken), Is.EqualTo("fallback:any/thing"));
    }

    [Test, CancelAfter(20_000)]
    public async Task CallAsync_PeerVanishesMidCall_FailsPromptlyWithChannelClosed(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        var handlerStarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle("wait", async (_, _, ct) =>
        {
            handlerStarted.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return ReadOnlyMemory<byte>.Empty;
        });
        pair.Start();
        Task<string>[] calls = Enumerable.Range(0, 10).Select(_ => pair.Host.CallAsync("wait", "x", cancellationToken)).ToArray();
        await handlerStarted.Task.WaitAsync(cancellationToken);

        var stopwatch = Stopwatch.StartNew();
        await pair.Plugin.DisposeAsync();

        // Every outcome first: an assertion that stopped at the first surprise would leave the other calls' failures unobserved.
        Exception?[] outcomes = await Task.WhenAll(calls.Select(async call =>
        {
            try
            {
                await call;
                return null;
            }
            catch (Exception ex)
            {
                return ex;
            }
        }));
        Assert.That(outcomes, Is.All.InstanceOf<ChannelClosedException>(), "a handler cancelled by its side's close is not answered CANCELLED: the caller did not cancel");

        // Well under the calls' 30 s timeout, with room for a loaded machine: closing the plugin may wait a second for its reader.
        Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)), "the calls failed as the connection closed, not at their timeout");
        await pair.Host.Completion.WaitAsync(cancellationToken);
        Assert.That(pair.Host.CloseReason, Is.InstanceOf<ChannelClosedException>());
        Assert.That(pair.Host.IsOpen, Is.False);
        Assert.That(async () => await pair.Host.CallAsync("wait", "x", cancellationToken), Throws.InstanceOf<ChannelClosedException>());
    }

    [Test, CancelAfter(30_000)]
    public async Task CallAsync_LargePayloadsUpTo16MiB_EchoedIntactBothWaysAmongSmallCalls(CancellationToken cancellationToken)
    {
        // Over streams, buffers with at least 16 KiB still to come and at most 1 MiB in all are read straight into their
        // array: sizes on both sides of those limits, and 16 MiB, each sent both ways at once.
        await using ChannelPair pair = CreatePair();
        pair.Host.Handle("echo", s_echo);
        pair.Plugin.Handle("echo", s_echo);
        pair.Start();
        int[] sizes = [16 * 1024 + 1, 80 * 1024, 64 * 1024, 300 * 1024, DirectBufferReader.MaxBufferBytes, DirectBufferReader.MaxBufferBytes + 1, 16 * 1024 * 1024];
        var random = new Random(1024);
        byte[][] payloads = sizes.Select(size => { var payload = new byte[size]; random.NextBytes(payload); return payload; }).ToArray();

        var calls = new List<(byte[] Sent, Task<ReadOnlyMemory<byte>> Answer)>();
        foreach (byte[] payload in payloads)
        {
            calls.Add((payload, pair.Host.CallAsync("echo", payload, cancellationToken)));
            calls.Add((payload, pair.Plugin.CallAsync("echo", payload, cancellationToken)));
            byte[] small = [(byte)calls.Count, 2, 3];
            calls.Add((small, pair.Host.CallAsync("echo", small, cancellationToken)));
            calls.Add((small, pair.Plugin.CallAsync("echo", small, cancellationToken)));
        }

        foreach (var (sent, answer) in calls)
        {
            ReadOnlyMemory<byte> echoed = await answer;
            Assert.That(echoed.Length, Is.EqualTo(sent.Length));
            Assert.That(echoed.Span.SequenceEqual(sent), Is.True, $"the echo of {sent.Length} bytes differs");
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_RequestOverFramerLimit_FailsThatCallOnly(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Plugin.Handle("echo", s_echo);
        pair.Start();

        Assert.That(async () => await pair.Host.CallAsync(new string('c', 5000), "x", cancellationToken), Throws.InstanceOf<ProtocolException>());
        Assert.That(await pair.Host.CallAsync("echo", "ok", cancellationToken), Is.EqualTo("ok"));
    }

    [Test, CancelAfter(20_000)]
    public async Task CallAsync_OversizeCallsAmongNormalOnes_NormalOnesAllAnswered(CancellationToken cancellationToken)
    {
        // Regression: a writer that skipped its flush for a waiting writer whose chunk the framer then rejected left its bytes unsent.
        await using ChannelPair pair = CreatePair(host => host.DefaultCallTimeout = TimeSpan.FromSeconds(10));
        pair.Plugin.Handle("echo", s_echo);
        pair.Start();
        string oversizeCmd = new('c', FramerOptions.DefaultMaxCmdBytes + 1);

        for (int round = 0; round < 20; round++)
        {
            Task<string>[] normal = Enumerable.Range(0, 8).Select(i => Task.Run(() => pair.Host.CallAsync("echo", "n" + i, cancellationToken), cancellationToken)).ToArray();
            Task[] oversize = Enumerable.Range(0, 8).Select(_ => Task.Run(() => pair.Host.CallAsync(oversizeCmd, "x", cancellationToken), cancellationToken)).ToArray();

            Assert.That(await Task.WhenAll(normal), Is.EqualTo(Enumerable.Range(0, 8).Select(i => "n" + i)));
            foreach (Task rejected in oversize)
            {
                Assert.That(async () => await rejected, Throws.InstanceOf<ProtocolException>());
            }
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task NotifyAsync_ManyOneWays_HandledInOrderSent(CancellationToken cancellationToken)
    {
        const int Messages = 2000;
        await using ChannelPair pair = CreatePair();
        var received = new List<int>();
        var all = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle("seq", async (chunk, _, _) =>
        {
            int value = BitConverter.ToInt32(chunk.Buffer.Span);
            if (value % 7 == 0)
            {
                await Task.Yield(); // an asynchronous handler must still not be overtaken
            }

            received.Add(value);
            if (received.Count == Messages)
            {
                all.SetResult();
            }

            return ReadOnlyMemory<byte>.Empty;
        });
        pair.Start();

        for (int i = 0; i < Messages; i++)
        {
            await pair.Host.NotifyAsync("seq", BitConverter.GetBytes(i), cancellationToken);
        }

        await all.Task.WaitAsync(cancellationToken);
        Assert.That(received, Is.EqualTo(Enumerable.Range(0, Messages)));
    }

    [Test, CancelAfter(10_000)]
    public async Task NotifyAsync_TextAndChunkForms_DeliverBodyAndHeaders(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        var received = new ConcurrentQueue<Chunk>();
        var two = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle("note", (chunk, _, _) =>
        {
            received.Enqueue(chunk);
            if (received.Count == 2)
            {
                two.SetResult();
            }

            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        pair.Start();

        await pair.Host.NotifyAsync("note", "first", cancellationToken);
        await pair.Host.NotifyAsync(new Chunk { Cmd = "note", Buffer = "second"u8.ToArray(), Headers = new Dictionary<string, string> { ["traceparent"] = "00-abc-def-01" } }, cancellationToken);
        await two.Task.WaitAsync(cancellationToken);

        Chunk[] chunks = received.ToArray();
        Assert.That(chunks.Select(c => Encoding.UTF8.GetString(c.Buffer.Span)), Is.EqualTo(new[] { "first", "second" }));
        Assert.That(chunks.All(c => c.Direction == Direction.OneWay), Is.True);
        if (framer == "msgpack")
        {
            Assert.That(chunks[1].Headers?["traceparent"], Is.EqualTo("00-abc-def-01"));
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task Handle_MaxConcurrentHandlers_IsNeverExceeded(CancellationToken cancellationToken)
    {
        const int Limit = 3;
        await using ChannelPair pair = CreatePair(plugin: o => o.MaxConcurrentHandlers = Limit);
        int running = 0;
        int maxRunning = 0;
        pair.Plugin.Handle("work", async (chunk, _, ct) =>
        {
            int now = Interlocked.Increment(ref running);
            InterlockedMax(ref maxRunning, now);
            await Task.Delay(5, ct);
            Interlocked.Decrement(ref running);
            return chunk.Buffer;
        });
        pair.Start();

        await Task.WhenAll(Enumerable.Range(0, 40).Select(i => pair.Host.CallAsync("work", "x", cancellationToken)));

        Assert.That(maxRunning, Is.EqualTo(Limit));
    }

    [Test, CancelAfter(10_000)]
    public async Task PingAsync_AnsweredByChannelItself(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        pair.Start();

        TimeSpan roundTrip = await pair.Host.PingAsync(cancellationToken);
        TimeSpan back = await pair.Plugin.PingAsync(cancellationToken);

        Assert.That(roundTrip, Is.GreaterThan(TimeSpan.Zero));
        Assert.That(back, Is.GreaterThan(TimeSpan.Zero));
    }

    [Test, CancelAfter(10_000)]
    public async Task CloseAsync_InFlightWork_FinishesWhileNewCallsAreRefused(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair(plugin: o => o.ShutdownGracePeriod = TimeSpan.FromSeconds(5));
        TaskCompletionSource release = HandleSlowUntilReleased(pair.Plugin, out Task started);
        pair.Host.Handle("echo", s_echo);
        pair.Start();
        Task<string> inFlight = pair.Host.CallAsync("slow", "x", cancellationToken);
        await started.WaitAsync(cancellationToken);

        Task closing = pair.Plugin.CloseAsync(cancellationToken);

        Assert.That(pair.Plugin.IsOpen, Is.False);
        Assert.That(async () => await pair.Plugin.CallAsync("echo", "x", cancellationToken), Throws.InstanceOf<ChannelClosedException>().With.Message.Contains("shutting down"));
        RemoteException? refused = await Failure.ThrowsAsync<RemoteException>(async () => await pair.Host.CallAsync("slow", "y", cancellationToken));
        Assert.That(refused!.Code, Is.EqualTo(ErrorCodes.ShuttingDown));
        Assert.That(await pair.Host.PingAsync(cancellationToken), Is.GreaterThan(TimeSpan.Zero), "a closing channel still answers pings: its peer must not think it hung");
        Assert.That(closing.IsCompleted, Is.False);

        release.SetResult();
        Assert.That(await inFlight, Is.EqualTo("done"));
        await closing.WaitAsync(cancellationToken);
        Assert.That(pair.Plugin.CloseReason, Is.Null);
        await pair.Host.Completion.WaitAsync(cancellationToken);
    }

    [Test, CancelAfter(10_000)]
    public async Task CloseAsync_OwnCallAnswered_ClosesWithoutWaitingOutTheGracePeriod(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair(host: o => o.ShutdownGracePeriod = TimeSpan.FromMinutes(1));
        TaskCompletionSource release = HandleSlowUntilReleased(pair.Plugin, out Task started);
        pair.Start();
        Task<string> inFlight = pair.Host.CallAsync("slow", "x", cancellationToken);
        await started.WaitAsync(cancellationToken);

        Task closing = pair.Host.CloseAsync(cancellationToken);
        Assert.That(closing.IsCompleted, Is.False, "the host's call is still in flight");
        release.SetResult();

        Assert.That(await inFlight, Is.EqualTo("done"));
        await closing.WaitAsync(cancellationToken); // the answer drained the host: no minute-long wait
        Assert.That(pair.Host.CloseReason, Is.Null);
    }

    [Test, CancelAfter(10_000)]
    public async Task CloseAsync_GracePeriodElapses_CancelsRemainingHandlers(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair(plugin: o => o.ShutdownGracePeriod = TimeSpan.FromMilliseconds(100));
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var cancelled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle("stuck", async (_, _, ct) =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                cancelled.SetResult(); // seen here, not by a registration: a registration disposed as the token fires may never run
                throw;
            }
            return ReadOnlyMemory<byte>.Empty;
        });
        pair.Start();
        Task<string> call = pair.Host.CallAsync("stuck", "x", cancellationToken);
        await started.Task.WaitAsync(cancellationToken);

        await pair.Plugin.CloseAsync(cancellationToken);

        await cancelled.Task.WaitAsync(cancellationToken);

        // The handler's CANCELLED answer and the channel's close race: the call fails either way, never with an answer.
        Assert.That(async () => await call, Throws.InstanceOf<ChannelClosedException>().Or.InstanceOf<OperationCanceledException>());
    }

    [Test, CancelAfter(10_000)]
    public async Task DisposeAsync_Twice_IsSafeAndCompletes(CancellationToken cancellationToken)
    {
        ChannelPair pair = CreatePair();
        pair.Start();

        await pair.Host.DisposeAsync();
        await pair.Host.DisposeAsync();
        await pair.DisposeAsync();

        await pair.Host.Completion.WaitAsync(cancellationToken);
        Assert.That(pair.Host.IsOpen, Is.False);
        Assert.That(() => pair.Host.Start(), Throws.InstanceOf<ObjectDisposedException>());
    }

    private static void InterlockedMax(ref int target, int value)
    {
        int current;
        while (value > (current = Volatile.Read(ref target)) && Interlocked.CompareExchange(ref target, value, current) != current)
        {
        }
    }
}
