namespace PluginIpc.Tests.Channel;

/// <summary><see cref="ChannelOptions.ShutdownGracePeriod"/> counts the time of <see cref="ChannelOptions.TimeProvider"/>.</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class ShutdownGraceFakeTimeTests(string framer)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_grace = TimeSpan.FromMinutes(1);

    [Test, CancelAfter(20_000)]
    public async Task CloseAsync_HandlerOutlastsTheGracePeriod_CancelledWhenFakeTimePassesIt_NotBefore(CancellationToken cancellationToken)
    {
        var clock = new FakeClock();
        await using ChannelPair pair = ChannelPair.Create(framer, Transports.Memory, configurePlugin: o =>
        {
            o.ShutdownGracePeriod = s_grace;
            o.TimeProvider = clock;
        });
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
        await started.Task.WaitAsync(s_timeout, cancellationToken);

        Task closing = pair.Plugin.CloseAsync(cancellationToken);
        await clock.WhenArmedAsync(s_grace, cancellationToken).WaitAsync(s_timeout, cancellationToken);
        clock.Advance(s_grace - TimeSpan.FromMilliseconds(1));

        Assert.That(clock.IsArmed(s_grace), Is.True, "the grace period ended early");
        Assert.That(cancelled.Task.IsCompleted, Is.False);
        Assert.That(closing.IsCompleted, Is.False);

        clock.Advance(TimeSpan.FromMilliseconds(1));
        await closing.WaitAsync(s_timeout, cancellationToken);
        await cancelled.Task.WaitAsync(s_timeout, cancellationToken);
        await Failure.CatchAsync<PluginIpcException>(() => call.WaitAsync(s_timeout, CancellationToken.None));
    }
}
