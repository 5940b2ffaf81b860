using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.Host;

/// <summary>Plugin against the EchoPlugin sample, with real processes and real pipes, for both framers over both transports.</summary>
[TestFixtureSource(nameof(Cases))]
[Category("Process")]
public sealed class PluginTests(string framer, PluginTransport transport) : FramerTransportTestBase(framer, transport)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);


    [Test, CancelAfter(30_000)]
    public async Task StartAsync_EchoPlugin_RunsAndAnnouncesMetadata(CancellationToken cancellationToken)
    {
        await using Plugin plugin = CreatePlugin(Options());
        Assert.That(plugin.State, Is.EqualTo(PluginState.Created));
        Assert.That(plugin.Metadata, Is.Empty);

        await plugin.StartAsync(cancellationToken);
        await plugin.WhenReadyAsync(cancellationToken);

        Assert.That(plugin.State, Is.EqualTo(PluginState.Running));
        Assert.That(plugin.Name, Is.EqualTo("EchoPlugin"));
        Assert.That(plugin.Metadata["name"], Is.EqualTo("EchoPlugin"));
        Assert.That(plugin.Metadata["protocol"], Is.EqualTo("1"));
        Assert.That(plugin.Metadata["version"], Is.EqualTo("1.0"));
        Assert.That(plugin.ProcessId, Is.Not.Null.And.Not.EqualTo(Environment.ProcessId));
        Assert.That(ProcFs.ParentOf(plugin.ProcessId!.Value), Is.EqualTo(Environment.ProcessId));
        Assert.That(plugin.RestartCount, Is.Zero);
        Assert.That(await plugin.PingAsync(cancellationToken), Is.GreaterThan(TimeSpan.Zero));
        await Failure.ThrowsAsync<InvalidOperationException>(() => plugin.StartAsync(cancellationToken));
    }

    [Test, CancelAfter(30_000)]
    public async Task Echo_Bytes_AnswersTheSameBytes([Values(0, 1, 1000, 1024 * 1024)] int length, CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        byte[] payload = RandomPayload(length);

        ReadOnlyMemory<byte> answer = await plugin.CallAsync("echo", payload, cancellationToken);

        Assert.That(answer.ToArray(), Is.EqualTo(payload));
    }

    [Test, CancelAfter(30_000)]
    public async Task Echo_Text_AnswersTheSameText([Values("", "hello", "héllo wörld ✓ 🧩")] string text, CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);

        Assert.That(await plugin.CallAsync("echo", text, cancellationToken), Is.EqualTo(text));
    }

    [Test, CancelAfter(30_000)]
    public async Task Fail_AnyText_ThrowsRemoteExceptionWithCodeAndText(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);

        RemoteException? error = await Failure.ThrowsAsync<RemoteException>(() => plugin.CallAsync("fail", "boom 42", cancellationToken));

        Assert.That(error!.Code, Is.EqualTo("TEST_FAILURE"));
        Assert.That(error.Message, Does.Contain("boom 42"));
        Assert.That(await plugin.CallAsync("echo", "still here", cancellationToken), Is.EqualTo("still here"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Sleep_ShortDelay_AnswersSlept(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        var watch = Stopwatch.StartNew();

        Assert.That(await plugin.CallAsync("sleep", "200", cancellationToken), Is.EqualTo("slept"));
        Assert.That(watch.Elapsed, Is.GreaterThanOrEqualTo(TimeSpan.FromMilliseconds(190)));
    }

    [Test, CancelAfter(30_000)]
    public async Task Sleep_CallerCancels_EndsAtOnceAndPluginStaysHealthy(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<string> sleeping = plugin.CallAsync("sleep", "10000", caller.Token);
        Assert.That(await plugin.CallAsync("echo", "in flight", cancellationToken), Is.EqualTo("in flight")); // the sleep went out before
        Assert.That(sleeping.IsCompleted, Is.False);

        var watch = Stopwatch.StartNew();
        await caller.CancelAsync();
        Exception? failure = await Failure.Of(sleeping);
        TimeSpan waited = watch.Elapsed;

        Assert.That(failure, Is.InstanceOf<OperationCanceledException>());
        Assert.That(waited, Is.LessThan(TimeSpan.FromMilliseconds(500)));
        Assert.That(plugin.State, Is.EqualTo(PluginState.Running));
        Assert.That(await plugin.CallAsync("sleep", "10", cancellationToken), Is.EqualTo("slept"));
        Assert.That(await plugin.CallAsync("echo", "after", cancellationToken), Is.EqualTo("after"));
        await plugin.PingAsync(cancellationToken);
    }

    [Test, CancelAfter(30_000)]
    public async Task Callback_HostHandlesRepeat_AnswersHostsAnswer(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);

        Assert.That(await plugin.CallAsync("callback", "abc", cancellationToken), Is.EqualTo("Response: abc"));
        Assert.That(await plugin.CallAsync("callback", string.Empty, cancellationToken), Is.EqualTo("Response: "));
    }

    [Test, CancelAfter(30_000)]
    public async Task Callback_HostHasNoRepeatHandler_ThrowsUnknownCommand(CancellationToken cancellationToken)
    {
        await using Plugin plugin = CreatePlugin(Options());
        await plugin.StartAsync(cancellationToken);

        RemoteException? error = await Failure.ThrowsAsync<RemoteException>(() => plugin.CallAsync("callback", "abc", cancellationToken));

        Assert.That(error!.Code, Is.EqualTo(ErrorCodes.UnknownCommand));
    }

    [Test, CancelAfter(30_000)]
    public async Task Notify_Buffer_HostReceivesNotifiedOneWay(CancellationToken cancellationToken)
    {
        await using Plugin plugin = CreatePlugin(Options());
        var notified = new TaskCompletionSource<Chunk>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Handle("Notified", (chunk, _, _) =>
        {
            notified.TrySetResult(new Chunk { Direction = chunk.Direction, Cmd = chunk.Cmd, Buffer = chunk.Buffer.ToArray() });
            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        await plugin.StartAsync(cancellationToken);

        Assert.That(await plugin.CallAsync("notify", "news", cancellationToken), Is.Empty);
        Chunk received = await notified.Task.WaitAsync(s_timeout, cancellationToken);

        Assert.That(received.Direction, Is.EqualTo(Direction.OneWay));
        Assert.That(received.Cmd, Is.EqualTo("Notified"));
        Assert.That(Encoding.UTF8.GetString(received.Buffer.Span), Is.EqualTo("news"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Stdout_Text_ReachesRecentLogsWithoutCorruptingTheChannel(CancellationToken cancellationToken)
    {
        var loggers = new CapturingLoggerFactory();
        PluginOptions options = Options();
        options.LoggerFactory = loggers;
        await using Plugin plugin = await StartAsync(options, cancellationToken);

        // The second text is a valid text-framed request: written to the channel, it would be taken for one.
        Assert.That(await plugin.CallAsync("stdout", "hello from stdout", cancellationToken), Is.Empty);
        Assert.That(await plugin.CallAsync("stdout", "9\u00002\u00004\u0000echo2\u0000hi", cancellationToken), Is.Empty);
        byte[] payload = RandomPayload(100_000);
        Assert.That((await plugin.CallAsync("echo", payload, cancellationToken)).ToArray(), Is.EqualTo(payload));
        await loggers.WaitForAsync(e => e.Message.Contains("echo2", StringComparison.Ordinal), cancellationToken).WaitAsync(s_timeout, cancellationToken);

        // On stdio the plugin's console output is sent to stderr; otherwise stdout is free and read as output.
        PluginLogSource expected = Transport == PluginTransport.Stdio ? PluginLogSource.StandardError : PluginLogSource.StandardOutput;
        IReadOnlyList<PluginLogEntry> logs = plugin.GetRecentLogs();
        Assert.That(logs.Where(l => l.Message == "hello from stdout").Select(l => l.Source), Is.EqualTo(new[] { expected }));
        Assert.That(logs.Where(l => l.Message.Contains("echo2", StringComparison.Ordinal)).Select(l => l.Source), Is.EqualTo(new[] { expected }));
        Assert.That(loggers.Entries.Where(e => e.Message.Contains("hello from stdout", StringComparison.Ordinal)).Select(e => e.Category), Has.Member("PluginIpc.Plugins.EchoPlugin"));
        Assert.That(plugin.State, Is.EqualTo(PluginState.Running));
        Assert.That(await plugin.CallAsync("echo", "intact", cancellationToken), Is.EqualTo("intact"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Crash_CallPending_FailsWithinOneSecondWithExitCodeAndStateFailed(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        int pid = plugin.ProcessId!.Value;
        var exited = new TaskCompletionSource<PluginExitedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Exited += (_, e) => exited.TrySetResult(e);
        Task<IReadOnlyList<PluginState>> failed = WhenStateAsync(plugin, PluginState.Failed, cancellationToken);
        Task<string> sleeping = plugin.CallAsync("sleep", "10000", cancellationToken);
        Assert.That(await plugin.CallAsync("echo", "in flight", cancellationToken), Is.EqualTo("in flight"));

        var watch = Stopwatch.StartNew();
        Task<string> crashing = plugin.CallAsync("crash", string.Empty, cancellationToken);
        Exception? sleepError = await Failure.Of(sleeping.WaitAsync(s_timeout, cancellationToken));
        TimeSpan waited = watch.Elapsed;
        Exception? crashError = await Failure.Of(crashing.WaitAsync(s_timeout, cancellationToken));

        Assert.That(waited, Is.LessThan(TimeSpan.FromSeconds(1)), "the pending call must fail within a second");
        Assert.That(sleepError, Is.InstanceOf<ChannelClosedException>());
        Assert.That(crashError, Is.InstanceOf<ChannelClosedException>());
        Assert.That(Find<PluginExitedException>(sleepError)?.ExitCode, Is.EqualTo(3), sleepError!.ToString());
        Assert.That(Find<PluginExitedException>(crashError)?.ExitCode, Is.EqualTo(3), crashError!.ToString());
        Assert.That(sleepError.Message, Does.Contain("code 3"));
        IReadOnlyList<PluginState> states = await failed.WaitAsync(s_timeout, cancellationToken);
        Assert.That(states, Is.EqualTo(new[] { PluginState.Disconnected, PluginState.Failed }));
        Assert.That(plugin.State, Is.EqualTo(PluginState.Failed));
        Assert.That(plugin.ProcessId, Is.Null);
        PluginExitedEventArgs exit = await exited.Task.WaitAsync(s_timeout, cancellationToken);
        Assert.That((exit.ProcessId, exit.ExitCode, exit.Expected), Is.EqualTo((pid, 3, false)));
        Assert.That(ProcFs.IsAlive(pid), Is.False);
        await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("echo", "anyone?", cancellationToken));
        await Failure.CatchAsync<ChannelClosedException>(() => plugin.WhenReadyAsync(cancellationToken));
    }

    [Test, CancelAfter(60_000)]
    public async Task Concurrency_EchoesAndCallbacksAtOnce_AllAnswersCorrect(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);

        Task<string>[] echoes = [.. Enumerable.Range(0, 200).Select(i => plugin.CallAsync("echo", $"echo {i} " + new string('x', i * 37), cancellationToken))];
        Task<string>[] callbacks = [.. Enumerable.Range(0, 100).Select(i => plugin.CallAsync("callback", $"callback {i}", cancellationToken))];
        await Task.WhenAll(echoes.Concat(callbacks)).WaitAsync(s_timeout, cancellationToken);

        for (int i = 0; i < echoes.Length; i++)
        {
            Assert.That(echoes[i].Result, Is.EqualTo($"echo {i} " + new string('x', i * 37)));
        }

        for (int i = 0; i < callbacks.Length; i++)
        {
            Assert.That(callbacks[i].Result, Is.EqualTo($"Response: callback {i}"));
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task Logs_StartHookLogs_ReachRecentLogsAndHostLogger(CancellationToken cancellationToken)
    {
        var loggers = new CapturingLoggerFactory();
        PluginOptions options = Options();
        options.LoggerFactory = loggers;
        await using Plugin plugin = await StartAsync(options, cancellationToken);

        CapturingLoggerFactory.LoggedEntry logged = await loggers.WaitForAsync(
            e => e.Category == "PluginIpc.Plugins.EchoPlugin" && e.Message.Contains("EchoPlugin started", StringComparison.Ordinal),
            cancellationToken).WaitAsync(s_timeout, cancellationToken);

        Assert.That(logged.Level, Is.EqualTo(LogLevel.Information));
        Assert.That(logged.Message, Does.Contain($"process {plugin.ProcessId}"));
        PluginLogEntry? entry = plugin.GetRecentLogs().SingleOrDefault(l => l.Message.Contains("EchoPlugin started", StringComparison.Ordinal));
        Assert.That(entry, Is.Not.Null);
        Assert.That(entry!.Source, Is.EqualTo(PluginLogSource.Log));
        Assert.That(entry.Level, Is.EqualTo(LogLevel.Information));
        Assert.That(entry.Category, Is.EqualTo("EchoPlugin"));
        Assert.That(entry.Message, Is.EqualTo($"EchoPlugin started (process {plugin.ProcessId})."));
    }

    [Test, CancelAfter(30_000)]
    public async Task Restart_PluginCrashes_RestartsAndNewCallsWork(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartRestartingAsync(cancellationToken);
        int firstPid = plugin.ProcessId!.Value;
        var exits = new List<PluginExitedEventArgs>();
        plugin.Exited += (_, e) =>
        {
            lock (exits)
            {
                exits.Add(e);
            }
        };
        Task<IReadOnlyList<PluginState>> running = WhenStateAsync(plugin, PluginState.Running, cancellationToken);

        await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("crash", string.Empty, cancellationToken));
        IReadOnlyList<PluginState> states = await running.WaitAsync(s_timeout, cancellationToken);

        Assert.That(states, Is.EqualTo(new[] { PluginState.Disconnected, PluginState.Restarting, PluginState.Running }));
        Assert.That(plugin.RestartCount, Is.EqualTo(1));
        Assert.That(plugin.ProcessId, Is.Not.Null.And.Not.EqualTo(firstPid));
        Assert.That(ProcFs.IsAlive(firstPid), Is.False);
        lock (exits)
        {
            Assert.That(exits.Select(e => (e.ProcessId, e.ExitCode, e.Expected)), Is.EqualTo(new[] { (firstPid, 3, false) }));
        }

        Assert.That(await plugin.CallAsync("echo", "again", cancellationToken), Is.EqualTo("again"));
        Assert.That(await plugin.CallAsync("callback", "again", cancellationToken), Is.EqualTo("Response: again"));
        Assert.That(plugin.Metadata["name"], Is.EqualTo("EchoPlugin"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Restart_ACallMadeTheMomentThePluginCrashed_WaitsForTheRestart(CancellationToken cancellationToken)
    {
        // Between the crash and supervision's taking it over the state still reads Running: a call then must wait for the
        // restart like any call during one, not fail with "not running (state Running)".
        await using Plugin plugin = await StartRestartingAsync(cancellationToken);
        int firstPid = plugin.ProcessId!.Value;

        await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("crash", string.Empty, cancellationToken));
        string answer = await plugin.CallAsync("echo", "right after", cancellationToken);

        Assert.That(answer, Is.EqualTo("right after"));
        Assert.That(plugin.ProcessId, Is.Not.EqualTo(firstPid));
        Assert.That(plugin.RestartCount, Is.EqualTo(1));
    }

    [Test, CancelAfter(60_000)]
    public async Task Restart_MoreCrashesThanMaxRestarts_EndsFailed(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartRestartingAsync(cancellationToken);
        var pids = new HashSet<int> { plugin.ProcessId!.Value };

        for (int restart = 1; restart <= 3; restart++)
        {
            Task<IReadOnlyList<PluginState>> running = WhenStateAsync(plugin, PluginState.Running, cancellationToken);
            await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("crash", string.Empty, cancellationToken));
            Assert.That(await running.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(new[] { PluginState.Disconnected, PluginState.Restarting, PluginState.Running }));
            Assert.That(plugin.RestartCount, Is.EqualTo(restart));
            Assert.That(pids.Add(plugin.ProcessId!.Value), Is.True, "a restart runs a new process");
            Assert.That(await plugin.CallAsync("echo", $"after {restart}", cancellationToken), Is.EqualTo($"after {restart}"));
        }

        Task<IReadOnlyList<PluginState>> failed = WhenStateAsync(plugin, PluginState.Failed, cancellationToken);
        await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("crash", string.Empty, cancellationToken));

        Assert.That(await failed.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(new[] { PluginState.Disconnected, PluginState.Failed }));
        Assert.That(plugin.RestartCount, Is.EqualTo(3));
        Assert.That(plugin.ProcessId, Is.Null);
        Assert.That(pids.Where(ProcFs.IsAlive), Is.Empty);
        await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("echo", "anyone?", cancellationToken));
    }

    [Test, CancelAfter(30_000)]
    public async Task Ping_PluginFrozen_IsKilledAndRestarted(CancellationToken cancellationToken)
    {
        PluginOptions options = Options();
        options.PingInterval = TimeSpan.FromMilliseconds(200);
        options.PingTimeout = TimeSpan.FromMilliseconds(500);
        options.RestartPolicy = new RestartPolicy { MaxRestarts = 1, InitialDelay = TimeSpan.FromMilliseconds(50) };
        await using Plugin plugin = await StartAsync(options, cancellationToken);
        int frozenPid = plugin.ProcessId!.Value;
        var exited = new TaskCompletionSource<PluginExitedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Exited += (_, e) => exited.TrySetResult(e);
        var disconnected = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.StateChanged += (_, e) =>
        {
            if (e.State == PluginState.Disconnected)
            {
                disconnected.TrySetResult(e.Error);
            }
        };
        Task<IReadOnlyList<PluginState>> running = WhenStateAsync(plugin, PluginState.Running, cancellationToken);
        Assert.That(await plugin.CallAsync("echo", "alive", cancellationToken), Is.EqualTo("alive"));

        try
        {
            Assert.That(Signals.Send(frozenPid, Signals.Stop), Is.True);

            Assert.That(await running.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(new[] { PluginState.Disconnected, PluginState.Restarting, PluginState.Running }));
            Exception? reason = await disconnected.Task;
            Assert.That(reason?.Message, Does.StartWith("Plugin 'EchoPlugin' did not answer a ping"), "the reason is the unanswered ping");
            Assert.That(Find<TimeoutException>(reason), Is.Not.Null, reason?.ToString());
            Assert.That(Find<PluginExitedException>(reason)?.ExitCode, Is.EqualTo(128 + Signals.Kill), reason?.ToString());
            PluginExitedEventArgs exit = await exited.Task.WaitAsync(s_timeout, cancellationToken);
            Assert.That((exit.ProcessId, exit.ExitCode, exit.Expected), Is.EqualTo((frozenPid, 128 + Signals.Kill, false)));
            Assert.That(ProcFs.IsAlive(frozenPid), Is.False);
            Assert.That(plugin.ProcessId, Is.Not.Null.And.Not.EqualTo(frozenPid));
            Assert.That(plugin.RestartCount, Is.EqualTo(1));
            Assert.That(await plugin.CallAsync("echo", "thawed", cancellationToken), Is.EqualTo("thawed"));
        }
        finally
        {
            Signals.Send(frozenPid, Signals.Continue);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task StartAsync_WrongCookie_ThrowsNamingExecutableWithPluginsMessage(CancellationToken cancellationToken)
    {
        PluginOptions options = Options();
        options.Cookie = "other";
        await using Plugin plugin = CreatePlugin(options);

        PluginStartException? error = await Failure.ThrowsAsync<PluginStartException>(() => plugin.StartAsync(cancellationToken));

        Assert.That(error!.Message, Does.Contain(options.ExecutablePath).And.Contain("EchoPlugin"));
        Assert.That(error.Message, Does.Contain(LaunchContract.NotStartedByHostMessage("EchoPlugin")));
        Assert.That(Find<PluginExitedException>(error)?.ExitCode, Is.EqualTo(1), error.ToString());
        Assert.That(plugin.State, Is.EqualTo(PluginState.Failed));
        await Failure.CatchAsync<PluginStartException>(() => plugin.WhenReadyAsync(cancellationToken));
    }

    [Test, CancelAfter(30_000)]
    public async Task StopAsync_Running_PluginExitsZeroAndStateStopped(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        int pid = plugin.ProcessId!.Value;
        var exited = new TaskCompletionSource<PluginExitedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Exited += (_, e) => exited.TrySetResult(e);
        Task<IReadOnlyList<PluginState>> stopped = WhenStateAsync(plugin, PluginState.Stopped, cancellationToken);

        await plugin.StopAsync(cancellationToken);

        PluginExitedEventArgs exit = await exited.Task.WaitAsync(s_timeout, cancellationToken);
        Assert.That((exit.ProcessId, exit.ExitCode, exit.Expected), Is.EqualTo((pid, 0, true)));
        Assert.That(await stopped, Is.EqualTo(new[] { PluginState.Stopping, PluginState.Stopped }));
        Assert.That(plugin.State, Is.EqualTo(PluginState.Stopped));
        Assert.That(plugin.ProcessId, Is.Null);
        Assert.That(ProcFs.IsAlive(pid), Is.False);
        await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("echo", "anyone?", cancellationToken));
        await plugin.StopAsync(cancellationToken); // twice is harmless
    }

    [Test, CancelAfter(30_000)]
    public async Task HostKilled_PluginExitsWithinFiveSeconds(CancellationToken cancellationToken)
    {
        (Process host, int pluginPid) = await StartPluginHostAsync([Framer, Transport.ToString(), EchoPluginFixture.DllPath], s_timeout, cancellationToken);
        Assert.That(ProcFs.ParentOf(pluginPid), Is.EqualTo(host.Id));
        Assert.That(ProcFs.IsAlive(pluginPid), Is.True);

        host.Kill(entireProcessTree: false); // SIGKILL: no exit hook runs in the host
        await host.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);
        var watch = Stopwatch.StartNew();

        Assert.That(await WaitUntilGoneAsync(pluginPid, TimeSpan.FromSeconds(5), cancellationToken), Is.True, "the plugin outlived its host by 5 s");
        TestContext.Out.WriteLine($"the plugin exited {watch.ElapsedMilliseconds} ms after its host");
    }

    private PluginOptions Options()
    {
        PluginOptions options = EchoPluginFixture.Options(Framer, Transport);
        options.PingInterval = Timeout.InfiniteTimeSpan; // tests that want health checks turn them on
        return options;
    }

    // A plugin restarted up to three times, 50 ms after a crash.
    private Task<Plugin> StartRestartingAsync(CancellationToken cancellationToken)
    {
        PluginOptions options = Options();
        options.RestartPolicy = new RestartPolicy { MaxRestarts = 3, InitialDelay = TimeSpan.FromMilliseconds(50) };
        return StartAsync(options, cancellationToken);
    }

    private async Task<Plugin> StartAsync(PluginOptions options, CancellationToken cancellationToken)
    {
        Plugin plugin = CreatePlugin(options);
        plugin.Handle("Repeat", (chunk, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("Response: " + Encoding.UTF8.GetString(chunk.Buffer.Span))));
        await plugin.StartAsync(cancellationToken);
        return plugin;
    }
}
