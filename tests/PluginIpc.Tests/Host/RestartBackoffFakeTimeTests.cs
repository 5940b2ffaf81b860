namespace PluginIpc.Tests.Host;

/// <summary>The restart backoff and the restart window of a real plugin process count the time of <see cref="PluginOptions.TimeProvider"/>.</summary>
[TestFixture]
[Category("Process")]
public sealed class RestartBackoffFakeTimeTests : PluginTestBase
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(1);

    [Test, CancelAfter(60_000)]
    public async Task Crash_RestartedOnlyWhenFakeTimePassesTheBackoff(CancellationToken cancellationToken)
    {
        // A minute of backoff: were it waited on the real clock, the restart would not come within the test's time.
        TimeSpan backoff = TimeSpan.FromMinutes(1);
        var clock = new FakeClock();
        PluginOptions options = Options(clock);
        options.RestartPolicy = new RestartPolicy { MaxRestarts = 1, InitialDelay = backoff, MaxDelay = backoff };
        Plugin plugin = CreatePlugin(options);
        await plugin.StartAsync(cancellationToken);
        int firstPid = plugin.ProcessId!.Value;
        Task<IReadOnlyList<PluginState>> restarting = WhenStateAsync(plugin, PluginState.Restarting, cancellationToken);

        await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("crash", string.Empty, cancellationToken));
        Assert.That(await restarting.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(new[] { PluginState.Disconnected, PluginState.Restarting }));
        Assert.That(clock.IsArmed(backoff), Is.True, "the backoff waits on the fake clock, from before the state says Restarting");
        Task<IReadOnlyList<PluginState>> running = WhenStateAsync(plugin, PluginState.Running, cancellationToken);
        clock.Advance(backoff - s_step);

        Assert.That(clock.IsArmed(backoff), Is.True, "the backoff ended early");
        Assert.That(plugin.State, Is.EqualTo(PluginState.Restarting));
        Assert.That(plugin.ProcessId, Is.Null);

        clock.Advance(s_step);
        Assert.That(await running.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(new[] { PluginState.Running }));
        Assert.That(plugin.RestartCount, Is.EqualTo(1));
        Assert.That(plugin.ProcessId, Is.Not.Null.And.Not.EqualTo(firstPid));
        Assert.That(await plugin.CallAsync("echo", "back", cancellationToken), Is.EqualTo("back"));
    }

    [Test, CancelAfter(60_000)]
    public async Task RestartWindow_SlidesWithFakeTime(CancellationToken cancellationToken)
    {
        // One restart per ten minutes: fake time, not real time, moves the first restart out of the window.
        TimeSpan window = TimeSpan.FromMinutes(10);
        TimeSpan backoff = TimeSpan.FromSeconds(3);
        var clock = new FakeClock();
        PluginOptions options = Options(clock);
        options.RestartPolicy = new RestartPolicy { MaxRestarts = 1, Window = window, InitialDelay = backoff, MaxDelay = backoff };
        Plugin plugin = CreatePlugin(options);
        await plugin.StartAsync(cancellationToken);

        await CrashAndRestartAsync(plugin, clock, backoff, cancellationToken);
        Assert.That(plugin.RestartCount, Is.EqualTo(1));

        clock.Advance(window);
        await CrashAndRestartAsync(plugin, clock, backoff, cancellationToken);
        Assert.That(plugin.RestartCount, Is.EqualTo(2), "the first restart left the window as fake time passed");

        clock.Advance(window - backoff - s_step);
        Task<IReadOnlyList<PluginState>> failed = WhenStateAsync(plugin, PluginState.Failed, cancellationToken);
        await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("crash", string.Empty, cancellationToken));
        Assert.That(await failed.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(new[] { PluginState.Disconnected, PluginState.Failed }), "the second restart is still within the window");
        Assert.That(plugin.RestartCount, Is.EqualTo(2));
    }

    private static async Task CrashAndRestartAsync(Plugin plugin, FakeClock clock, TimeSpan backoff, CancellationToken cancellationToken)
    {
        Task<IReadOnlyList<PluginState>> running = WhenStateAsync(plugin, PluginState.Running, cancellationToken);
        await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("crash", string.Empty, cancellationToken));
        await clock.AdvanceWhenArmedAsync(backoff, s_timeout, cancellationToken);
        Assert.That(await running.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(new[] { PluginState.Disconnected, PluginState.Restarting, PluginState.Running }));
        Assert.That(await plugin.CallAsync("echo", "back", cancellationToken), Is.EqualTo("back"));
    }

    private static PluginOptions Options(FakeClock clock)
    {
        PluginOptions options = EchoPluginFixture.Options("text", PluginTransport.InheritedPipes);
        options.PingInterval = Timeout.InfiniteTimeSpan;
        options.TimeProvider = clock;
        return options;
    }
}
