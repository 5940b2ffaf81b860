using System.Diagnostics;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.Host;

/// <summary>Plugin starts that fail, stops that are ignored, and many start/stop cycles, with real processes.</summary>
[TestFixture]
[Category("Process")]
public sealed class PluginLifecycleTests : PluginTestBase
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);
    private static readonly TimeSpan s_step = TimeSpan.FromMilliseconds(1);

    [Test, CancelAfter(30_000)]
    public async Task StartAsync_ExecutableExitsAtOnce_ThrowsNamingExecutableWithStderrTail(
        [Values] PluginTransport transport, CancellationToken cancellationToken)
    {
        await using Plugin plugin = CreatePlugin(TestPluginOptions(transport, "exit", "5"));

        PluginStartException? error = await Failure.ThrowsAsync<PluginStartException>(() => plugin.StartAsync(cancellationToken));

        Assert.That(error!.Message, Does.Contain(TestPlugin.DotnetPath).And.Contain("PluginIpc.TestPlugin"));
        Assert.That(error.Message, Does.Contain("exiting with 5"), "the stderr tail");
        Assert.That(Find<PluginExitedException>(error)?.ExitCode, Is.EqualTo(5), error.ToString());
        Assert.That(plugin.State, Is.EqualTo(PluginState.Failed));
        Assert.That(plugin.ProcessId, Is.Null);
    }

    [Test, CancelAfter(30_000)]
    public async Task StartAsync_ExecutableStaysSilent_ThrowsAfterStartTimeoutWithStderrTail(
        [Values] PluginTransport transport, CancellationToken cancellationToken)
    {
        // The start timeout runs on a fake clock, moved past it once the plugin's stderr line is in: no real 4 s wait.
        var clock = new FakeClock();
        var loggers = new CapturingLoggerFactory();
        PluginOptions options = TestPluginOptions(transport, "hang");
        options.StartTimeout = TimeSpan.FromSeconds(4);
        options.TimeProvider = clock;
        options.LoggerFactory = loggers;
        await using Plugin plugin = CreatePlugin(options);

        Task<PluginStartException> starting = Failure.ThrowsAsync<PluginStartException>(() => plugin.StartAsync(cancellationToken));
        await loggers.WaitForAsync(e => e.Message == "[stderr] hanging", cancellationToken).WaitAsync(s_timeout, cancellationToken);
        await clock.WhenArmedAsync(options.StartTimeout, cancellationToken).WaitAsync(s_timeout, cancellationToken);
        clock.Advance(options.StartTimeout - s_step);
        Assert.That(clock.IsArmed(options.StartTimeout), Is.True, "the start timed out early");
        Assert.That(starting.IsCompleted, Is.False);
        clock.Advance(s_step);
        PluginStartException error = await starting.WaitAsync(s_timeout, cancellationToken);

        Assert.That(error.Message, Does.Contain(TestPlugin.DotnetPath).And.Contain("PluginIpc.TestPlugin"));
        Assert.That(error.Message, Does.Contain("hanging"), "the stderr tail");
        Assert.That(Find<TimeoutException>(error), Is.Not.Null, error.ToString());
        Assert.That(plugin.State, Is.EqualTo(PluginState.Failed));
        Assert.That(PluginProcess.LiveCount, Is.Zero, "the silent process was killed");
    }

    [Test, CancelAfter(30_000)]
    public async Task StopAsync_DuringAStartThatWaitsForTheHandshake_CutsItShortAndKillsTheProcess(
        [Values] PluginTransport transport, CancellationToken cancellationToken)
    {
        // A plugin that never answers the handshake, with a start timeout far longer than the test: the stop must not wait it out.
        var loggers = new CapturingLoggerFactory();
        PluginOptions options = TestPluginOptions(transport, "hang");
        options.StartTimeout = TimeSpan.FromMinutes(10);
        options.LoggerFactory = loggers;
        await using Plugin plugin = CreatePlugin(options);

        Task starting = plugin.StartAsync(cancellationToken);
        await loggers.WaitForAsync(e => e.Message == "[stderr] hanging", cancellationToken).WaitAsync(s_timeout, cancellationToken);
        await plugin.StopAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);

        Assert.That(async () => await starting, Throws.InstanceOf<OperationCanceledException>());
        Assert.That(plugin.State, Is.EqualTo(PluginState.Stopped));
        Assert.That(PluginProcess.LiveCount, Is.Zero, "the silent process was killed");
    }

    [Test, CancelAfter(30_000)]
    public async Task StopAsync_PluginIgnoresStop_KilledAfterStopTimeout(
        [Values] PluginTransport transport, CancellationToken cancellationToken)
    {
        // The stop timeout runs on a fake clock, moved past it once the plugin is in its stop hook: no real wait.
        var clock = new FakeClock();
        var loggers = new CapturingLoggerFactory();
        PluginOptions options = TestPluginOptions(transport, "main-ignore-stop");
        options.StopTimeout = TimeSpan.FromSeconds(5);
        options.TimeProvider = clock;
        options.LoggerFactory = loggers;
        await using Plugin plugin = CreatePlugin(options);
        await plugin.StartAsync(cancellationToken);
        Assert.That(plugin.Metadata["name"], Is.EqualTo("IgnoreStop"));
        Assert.That(await plugin.CallAsync("echo", "hi", cancellationToken), Is.EqualTo("hi"));
        int pid = plugin.ProcessId!.Value;
        var exited = new TaskCompletionSource<PluginExitedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Exited += (_, e) => exited.TrySetResult(e);

        Task stopping = plugin.StopAsync(cancellationToken);
        await loggers.WaitForAsync(e => e.Message == "[stderr] stop hook entered", cancellationToken).WaitAsync(s_timeout, cancellationToken);
        await clock.WhenArmedAsync(options.StopTimeout, cancellationToken).WaitAsync(s_timeout, cancellationToken);
        clock.Advance(options.StopTimeout - s_step);
        Assert.That(clock.IsArmed(options.StopTimeout), Is.True, "the stop timed out early");
        Assert.That(stopping.IsCompleted, Is.False);
        Assert.That(ProcFs.IsAlive(pid), Is.True, "killed before the stop timeout");
        clock.Advance(s_step);
        await stopping.WaitAsync(s_timeout, cancellationToken);

        PluginExitedEventArgs exit = await exited.Task.WaitAsync(s_timeout, cancellationToken);
        Assert.That((exit.ProcessId, exit.ExitCode, exit.Expected), Is.EqualTo((pid, 128 + Signals.Kill, true)));
        Assert.That(plugin.State, Is.EqualTo(PluginState.Stopped));
        Assert.That(ProcFs.IsAlive(pid), Is.False);
        Assert.That(plugin.GetRecentLogs().Select(l => l.Message), Has.Member("stop hook entered"), "the plugin got cmd.stop");
    }

    [Test, CancelAfter(30_000)]
    public async Task StopAsync_StopHookOutlastsItsGracePeriod_PluginExitsAndSaysSoAsAWarningNotAFailure(CancellationToken cancellationToken)
    {
        // The plugin's grace period is 200 ms; its stop hook never returns. After the channel closed, its logs go to stderr.
        var loggers = new CapturingLoggerFactory();
        PluginOptions options = TestPluginOptions(PluginTransport.InheritedPipes, "main-slow-stop");
        options.LoggerFactory = loggers;
        options.StopTimeout = TimeSpan.FromSeconds(20);
        await using Plugin plugin = CreatePlugin(options);
        await plugin.StartAsync(cancellationToken);
        var exited = new TaskCompletionSource<PluginExitedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Exited += (_, e) => exited.TrySetResult(e);

        await plugin.StopAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);
        PluginExitedEventArgs exit = await exited.Task.WaitAsync(s_timeout, cancellationToken);
        Assert.That(exit.ExitCode, Is.Zero, "it exited by itself once its grace period was over, not killed");
        string[] stderr = [.. plugin.GetRecentLogs().Select(l => l.Message)];
        Assert.That(stderr, Has.Some.Matches<string>(m => m.StartsWith("Warning: ", StringComparison.Ordinal) && m.Contains("the stop hook did not finish within the stop grace period (00:00:00.2000000)", StringComparison.Ordinal)), string.Join(Environment.NewLine, stderr));
        Assert.That(stderr, Has.None.Contains("the stop hook failed"));
    }

    // Each cycle starts EchoPlugin (a .NET process), handshakes, echoes and stops it gracefully: 100 take about 15 s on 2 cores.
    // The plugins are told they have one CPU (a thread pool of one thread at first): a plugin that blocks a pool thread
    // waits for the pool to grow, about a second per stop, and the hundred cycles overrun the time limit.
    [Test, CancelAfter(60_000)]
    public async Task StartAndStop_HundredCycles_LeaveNoChildrenAndNoDescriptors(CancellationToken cancellationToken)
    {
        // A warm-up cycle lets the runtime create what it keeps for good (signal handling, epoll threads, ...).
        await CycleAsync(cancellationToken);
        int descriptorsBefore = ProcFs.OpenDescriptorCount();
        var pids = new List<int>();
        var watch = Stopwatch.StartNew();

        for (int i = 0; i < 100; i++)
        {
            pids.Add(await CycleAsync(cancellationToken));
        }

        TestContext.Out.WriteLine($"100 cycles took {watch.Elapsed.TotalSeconds:F1} s");
        Assert.That(pids.Distinct().Count(), Is.EqualTo(100));
        Assert.That(pids.Where(ProcFs.IsAlive), Is.Empty, "processes left running");
        Assert.That(pids.Where(pid => ProcFs.ParentOf(pid) == Environment.ProcessId), Is.Empty, "children left behind");
        Assert.That(ProcFs.OpenDescriptorCount(), Is.LessThanOrEqualTo(descriptorsBefore + 5), "descriptors leaked");
        Assert.That(PluginProcess.LiveCount, Is.Zero);
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(60)));
    }

    private static PluginOptions TestPluginOptions(PluginTransport transport, params string[] mode)
    {
        var options = new PluginOptions
        {
            ExecutablePath = TestPlugin.DotnetPath,
            Transport = transport,
            PingInterval = Timeout.InfiniteTimeSpan,
        };
        foreach (string argument in (string[])["exec", TestPlugin.DllPath, .. mode])
        {
            options.Arguments.Add(argument);
        }

        return options;
    }

    private async Task<int> CycleAsync(CancellationToken cancellationToken)
    {
        PluginOptions options = EchoPluginFixture.Options("text", PluginTransport.InheritedPipes);
        options.Environment["DOTNET_PROCESSOR_COUNT"] = "1";
        await using Plugin plugin = CreatePlugin(options);
        int exitCode = -1;
        plugin.Exited += (_, e) => exitCode = e.ExitCode;
        await plugin.StartAsync(cancellationToken);
        int pid = plugin.ProcessId!.Value;
        Assert.That(await plugin.CallAsync("echo", "cycle", cancellationToken), Is.EqualTo("cycle"));
        await plugin.StopAsync(cancellationToken);
        Assert.That(exitCode, Is.Zero);
        return pid;
    }
}
