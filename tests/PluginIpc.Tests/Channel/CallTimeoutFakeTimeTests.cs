namespace PluginIpc.Tests.Channel;

/// <summary>Call timeouts count the time of <see cref="ChannelOptions.TimeProvider"/>: a fake clock decides when they fire.</summary>
[TestFixtureSource(typeof(Transports), nameof(Transports.FramerAndTransport))]
public sealed class CallTimeoutFakeTimeTests(string framer, string transport)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(1);

    // 200 ms would get a pooled timer of its own on the system clock, 30 s the channel's sweep: both count fake time here.
    [Test, CancelAfter(20_000)]
    public async Task NoAnswer_TimesOutWhenFakeTimePassesTheTimeout_NotBefore([Values(200, 30_000)] int timeoutMs, CancellationToken cancellationToken)
    {
        var clock = new FakeClock();
        TimeSpan timeout = TimeSpan.FromMilliseconds(timeoutMs);
        await using ChannelPair pair = ChannelPair.Create(framer, transport, host => host.TimeProvider = clock);
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var withdrawn = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle("hang", async (_, _, ct) =>
        {
            started.SetResult();
            try
            {
                await Task.Delay(Timeout.Infinite, ct);
            }
            catch (OperationCanceledException)
            {
                withdrawn.SetResult(); // seen here, not by a registration: a registration disposed as the token fires may never run
                throw;
            }
            return ReadOnlyMemory<byte>.Empty;
        });
        pair.Start();

        Task<string> call = pair.Host.CallAsync("hang", "x", timeout, cancellationToken);
        await started.Task.WaitAsync(s_timeout, cancellationToken);
        Assert.That(clock.IsArmed(timeout), Is.True, "the call's timer runs on the fake clock");

        clock.Advance(timeout - s_step);
        Assert.That(pair.Host.PendingCallCount, Is.EqualTo(1), "timed out before its time");
        Assert.That(call.IsCompleted, Is.False);

        clock.Advance(s_step);
        Assert.That(pair.Host.PendingCallCount, Is.Zero, "the fake clock's timer withdraws the call as it fires");
        TimeoutException error = await Failure.ThrowsAsync<TimeoutException>(() => call.WaitAsync(s_timeout, CancellationToken.None));
        Assert.That(error.Message, Does.Contain("'hang'").And.Contain(timeout.ToString()));
        await withdrawn.Task.WaitAsync(s_timeout, cancellationToken);
        Assert.That(clock.ArmedCount, Is.Zero);
    }

    [Test, CancelAfter(20_000)]
    public async Task CallsSettledOtherwise_DisposeTheirTimers(CancellationToken cancellationToken)
    {
        var clock = new FakeClock();
        await using ChannelPair pair = ChannelPair.Create(framer, transport, host => host.TimeProvider = clock);
        pair.Plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        var started = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        pair.Plugin.Handle("hang", async (_, _, ct) =>
        {
            started.TrySetResult();
            await Task.Delay(Timeout.Infinite, ct);
            return ReadOnlyMemory<byte>.Empty;
        });
        pair.Start();

        for (int i = 0; i < 100; i++)
        {
            Assert.That(await pair.Host.CallAsync("echo", "a" + i, TimeSpan.FromMilliseconds(100 + i), cancellationToken), Is.EqualTo("a" + i));
        }

        Assert.That(await pair.Host.CallAsync("echo", "long", TimeSpan.FromMinutes(5), cancellationToken), Is.EqualTo("long"));
        Assert.That(clock.ArmedCount, Is.Zero, "answered calls left their timers armed");

        using var cancel = new CancellationTokenSource();
        Task<string> cancelled = pair.Host.CallAsync("hang", "x", TimeSpan.FromMinutes(5), cancel.Token);
        await started.Task.WaitAsync(s_timeout, cancellationToken);
        Assert.That(clock.ArmedCount, Is.EqualTo(1));
        await cancel.CancelAsync();
        await Failure.CatchAsync<OperationCanceledException>(() => cancelled.WaitAsync(s_timeout, CancellationToken.None));
        Assert.That(clock.ArmedCount, Is.Zero, "a cancelled call left its timer armed");

        Task<string> closed = pair.Host.CallAsync("hang", "y", TimeSpan.FromMinutes(5), cancellationToken);
        await pair.Plugin.DisposeAsync();
        await Failure.CatchAsync<ChannelClosedException>(() => closed.WaitAsync(s_timeout, CancellationToken.None));
        Assert.That(clock.ArmedCount, Is.Zero, "a call failed by the close left its timer armed");
    }
}
