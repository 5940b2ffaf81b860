using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.Host;

/// <summary>The host's health checks of a real plugin process count the time of <see cref="PluginOptions.TimeProvider"/>.</summary>
[TestFixture]
[Category("Process")]
public sealed class PingFakeTimeTests : PluginTestBase
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_pingInterval = TimeSpan.FromSeconds(10);
    private static readonly TimeSpan s_pingTimeout = TimeSpan.FromSeconds(7);
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(1);

    [Test, CancelAfter(30_000)]
    public async Task PluginStopsReading_DeclaredHungOnlyWhenFakeTimePassesPingIntervalAndTimeout(CancellationToken cancellationToken)
    {
        var clock = new FakeClock();
        PluginOptions options = HostileOptions("stop-reading", clock);
        Plugin plugin = CreatePlugin(options);
        var failed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.StateChanged += (_, e) =>
        {
            if (e.State == PluginState.Failed)
            {
                failed.TrySetResult(e.Error);
            }
        };
        await plugin.StartAsync(cancellationToken);
        int pid = plugin.ProcessId!.Value;

        // The first ping goes out only when the fake interval has passed.
        await clock.WhenArmedAsync(s_pingInterval, cancellationToken).WaitAsync(s_timeout, cancellationToken);
        Assert.That(clock.IsArmed(s_pingTimeout), Is.False, "a ping went out before its interval");
        clock.Advance(s_pingInterval - s_step);
        Assert.That(clock.IsArmed(s_pingTimeout), Is.False, "a ping went out before its interval");
        clock.Advance(s_step);

        // It goes unanswered: the plugin counts as hung only when the fake ping timeout has passed too.
        await clock.WhenArmedAsync(s_pingTimeout, cancellationToken).WaitAsync(s_timeout, cancellationToken);
        clock.Advance(s_pingTimeout - s_step);
        Assert.That(clock.IsArmed(s_pingTimeout), Is.True, "the ping timed out early");
        Assert.That(plugin.State, Is.EqualTo(PluginState.Running));
        Assert.That(ProcFs.IsAlive(pid), Is.True);

        clock.Advance(s_step);
        Exception? reason = await failed.Task.WaitAsync(s_timeout, cancellationToken);
        Assert.That(reason?.Message, Does.StartWith($"Plugin 'Hostile' did not answer a ping within {s_pingTimeout}"), reason?.ToString());
        Assert.That(Find<PluginExitedException>(reason)?.ExitCode, Is.EqualTo(128 + Signals.Kill), reason?.ToString());
        Assert.That(ProcFs.IsAlive(pid), Is.False);
    }

    [Test, CancelAfter(30_000)]
    public async Task PluginAnswersPingsWithAnError_IsAliveAndPingedAgain(CancellationToken cancellationToken)
    {
        var clock = new FakeClock();
        Plugin plugin = CreatePlugin(HostileOptions("ping-error", clock));
        await plugin.StartAsync(cancellationToken);
        int pid = plugin.ProcessId!.Value;

        // Two pings, each answered with an error: an answer, so not a hang; the host goes on pinging and never kills it.
        for (int ping = 0; ping < 2; ping++)
        {
            await clock.WhenArmedAsync(s_pingInterval, cancellationToken).WaitAsync(s_timeout, cancellationToken);
            clock.Advance(s_pingInterval);
        }

        await clock.WhenArmedAsync(s_pingInterval, cancellationToken).WaitAsync(s_timeout, cancellationToken);
        Assert.That(plugin.State, Is.EqualTo(PluginState.Running));
        Assert.That(ProcFs.IsAlive(pid), Is.True);
    }

    private static PluginOptions HostileOptions(string behaviour, FakeClock clock)
    {
        var options = new PluginOptions
        {
            Name = "Hostile",
            ExecutablePath = TestPlugin.DotnetPath,
            StartTimeout = s_timeout,
            PingInterval = s_pingInterval,
            PingTimeout = s_pingTimeout,
            TimeProvider = clock,
        };
        foreach (string argument in (string[])["exec", TestPlugin.DllPath, "hostile", behaviour])
        {
            options.Arguments.Add(argument);
        }

        return options;
    }
}
