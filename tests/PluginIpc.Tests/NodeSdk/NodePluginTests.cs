using System.Diagnostics;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PluginIpc.Tests.Host;
using PluginIpc.Tests.Processes;
using Samples;

namespace PluginIpc.Tests.NodeSdk;

/// <summary>
/// <see cref="Plugin"/> drives a Node.js plugin written with the pluginipc npm package (NodeSdk/plugins/echo.js), with real
/// processes and pipes, for both framers over both transports: every EchoPlugin command, errors, cancellation, logs, pings,
/// the bridge, crash, restart, stop, and IGreeter through <c>GetProxy</c>.
/// </summary>
[TestFixtureSource(nameof(Cases))]
[Category("Process")]
[Category("Node")]
public sealed class NodePluginTests(string framer, PluginTransport transport) : FramerTransportTestBase(framer, transport)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);
    private string _node = string.Empty;


    [SetUp]
    public async Task FindNodeAsync() => _node = await NodeSdk.RequireAsync();

    [Test, CancelAfter(30_000)]
    public async Task Start_AnnouncesMetadataAndLogsFromTheStartHook(CancellationToken cancellationToken)
    {
        var loggers = new CapturingLoggerFactory();
        PluginOptions options = Options();
        options.LoggerFactory = loggers;
        await using Plugin plugin = await StartAsync(options, cancellationToken);

        Assert.That(plugin.Metadata["name"], Is.EqualTo("NodeEcho"));
        Assert.That(plugin.Metadata["protocol"], Is.EqualTo("1"));
        Assert.That(plugin.Metadata["version"], Is.EqualTo("1.0"));
        Assert.That(plugin.Metadata["serializer"], Is.EqualTo("msgpack"));
        Assert.That(plugin.Metadata["contract.IGreeter"], Is.EqualTo(ContractShapeOf<IGreeter>()));
        CapturingLoggerFactory.LoggedEntry started = await loggers.WaitForAsync(
            e => e.Category == "PluginIpc.Plugins.NodeEcho" && e.Message.Contains("NodeEcho started", StringComparison.Ordinal), cancellationToken);
        Assert.That(started.Level, Is.EqualTo(LogLevel.Information));
        Assert.That(started.Message, Does.StartWith("[NodeEcho] NodeEcho started (process "));
    }

    [Test, CancelAfter(30_000)]
    public async Task Echo_TextAndBytes_AnswersTheSame([Values(0, 1, 100_000, 1024 * 1024)] int length, CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        byte[] bytes = new byte[length];
        Random.Shared.NextBytes(bytes);

        ReadOnlyMemory<byte> answer = await plugin.CallAsync("echo", bytes, cancellationToken);

        Assert.That(answer.ToArray(), Is.EqualTo(bytes));
        Assert.That(await plugin.CallAsync("echo", "héllo wörld ✓ 🧩", cancellationToken), Is.EqualTo("héllo wörld ✓ 🧩"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Errors_CarryCodeMessageAndDetails(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);

        RemoteException fail = await Failure.ThrowsAsync<RemoteException>(() => plugin.CallAsync("fail", "from .NET", cancellationToken));
        RemoteException detailed = await Failure.ThrowsAsync<RemoteException>(() => plugin.CallAsync("fail-details", string.Empty, cancellationToken));
        RemoteException plain = await Failure.ThrowsAsync<RemoteException>(() => plugin.CallAsync("throw-plain", string.Empty, cancellationToken));
        RemoteException unknown = await Failure.ThrowsAsync<RemoteException>(() => plugin.CallAsync("no-such-command", string.Empty, cancellationToken));

        Assert.That((fail.Code, fail.Message, fail.Cmd), Is.EqualTo(("TEST_FAILURE", "fail was asked to fail: from .NET", "fail")));
        Assert.That((detailed.Code, detailed.Message), Is.EqualTo(("E_DETAILED", "with details")));
        Assert.That(detailed.Details?.GetRawText(), Is.EqualTo("""{"field":"name","reasons":["empty","too short"]}"""));
        Assert.That((plain.Code, plain.Message, plain.Details), Is.EqualTo(("HANDLER_ERROR", "a plain error", (JsonElement?)null)));
        Assert.That(unknown.Code, Is.EqualTo("UNKNOWN_COMMAND"));
        Assert.That(await plugin.CallAsync("echo", "still fine", cancellationToken), Is.EqualTo("still fine"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Sleep_CallerCancels_SignalAbortsInThePluginAndItStaysHealthy(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        Task<string> aborted = FirstText(plugin, "Aborted");
        Assert.That(await plugin.CallAsync("sleep", "10", cancellationToken), Is.EqualTo("slept"));
        using var caller = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<string> sleeping = plugin.CallAsync("sleep", "10000", caller.Token);
        Assert.That(await plugin.CallAsync("echo", "in flight", cancellationToken), Is.EqualTo("in flight"));

        var watch = Stopwatch.StartNew();
        await caller.CancelAsync();
        Exception? failure = await Failure.Of(sleeping);

        Assert.That(failure, Is.InstanceOf<OperationCanceledException>());
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromMilliseconds(500)));
        Assert.That(await aborted.WaitAsync(s_timeout, cancellationToken), Is.EqualTo("10000"), "the handler's signal fired on the Cancel");
        Assert.That(await plugin.CallAsync("echo", "after", cancellationToken), Is.EqualTo("after"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Callback_Notify_AndPingsBothWays(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        Task<string> notified = FirstText(plugin, "Notified");

        Assert.That(await plugin.CallAsync("callback", "abc", cancellationToken), Is.EqualTo("Response: abc"));
        Assert.That(await plugin.CallAsync("notify", "note", cancellationToken), Is.Empty);
        Assert.That(await notified.WaitAsync(s_timeout, cancellationToken), Is.EqualTo("note"));
        await plugin.PingAsync(cancellationToken);
        Assert.That(await plugin.CallAsync("ping-host", string.Empty, cancellationToken), Is.EqualTo("pong"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Concurrency_ManyCallsBothWaysAtOnce_AllAnswersCorrect(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);

        string[] answers = await Task.WhenAll(Enumerable.Range(0, 200).Select(i =>
            i % 2 == 0 ? plugin.CallAsync("echo", $"e{i}", cancellationToken) : plugin.CallAsync("callback", $"c{i}", cancellationToken)));

        Assert.That(answers, Is.EqualTo(Enumerable.Range(0, 200).Select(i => i % 2 == 0 ? $"e{i}" : $"Response: c{i}")));
    }

    [Test, CancelAfter(30_000)]
    public async Task Stdout_ConsoleOutput_ReachesTheLogsWithoutCorruptingTheChannel(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);

        Assert.That(await plugin.CallAsync("stdout", "hello from node", cancellationToken), Is.Empty);
        Assert.That(await plugin.CallAsync("echo", "after stdout", cancellationToken), Is.EqualTo("after stdout"));

        await WaitForLogAsync(plugin, "hello from node (write)", cancellationToken);
        PluginLogSource expected = Transport == PluginTransport.Stdio ? PluginLogSource.StandardError : PluginLogSource.StandardOutput;
        Assert.That(plugin.GetRecentLogs().Where(l => l.Message.StartsWith("hello from node", StringComparison.Ordinal)).Select(l => l.Source), Is.All.EqualTo(expected));
    }

    [Test, CancelAfter(30_000)]
    public async Task Log_EveryLevel_ReachesTheHostsLoggerWithItsLevelAndCategory(CancellationToken cancellationToken)
    {
        var loggers = new CapturingLoggerFactory();
        PluginOptions options = Options();
        options.LoggerFactory = loggers;
        await using Plugin plugin = await StartAsync(options, cancellationToken);

        await plugin.CallAsync("log", "x", cancellationToken);
        await loggers.WaitForAsync(e => e.Message.Contains("child x", StringComparison.Ordinal), cancellationToken);

        var entries = loggers.Entries.Where(e => e.Category == "PluginIpc.Plugins.NodeEcho" && e.Message.Contains(" x", StringComparison.Ordinal)).ToList();
        Assert.That(entries.Select(e => (e.Level, e.Message[..e.Message.IndexOf(" x", StringComparison.Ordinal)])), Is.SupersetOf(new[]
        {
            (LogLevel.Trace, "[NodeEcho] trace"),
            (LogLevel.Debug, "[NodeEcho] debug"),
            (LogLevel.Information, "[NodeEcho] info"),
            (LogLevel.Warning, "[NodeEcho] warn"),
            (LogLevel.Error, "[NodeEcho] error"),
            (LogLevel.Critical, "[NodeEcho] critical"),
            (LogLevel.Information, "[NodeEcho.Child] child"),
        }));
        Assert.That(entries.Single(e => e.Level == LogLevel.Error).Message, Does.Contain("Error: the error of the entry"));
        PluginLogEntry recent = plugin.GetRecentLogs().Single(l => l.Message == "warn x");
        Assert.That((recent.Source, recent.Level, recent.Category), Is.EqualTo((PluginLogSource.Log, LogLevel.Warning, "NodeEcho")));
    }

    [Test, CancelAfter(30_000)]
    public async Task Bridge_ConnectHelloEchoAndJson_BothWays(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        await using IAsyncEnumerator<string> messages = plugin.ReadBridgeAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);

        Assert.That(await NextAsync(messages, cancellationToken), Is.EqualTo("hello, I am connected"), "sent on 'connect'");
        await plugin.SendToBridgeAsync("hello", cancellationToken);
        Assert.That(await NextAsync(messages, cancellationToken), Is.EqualTo("hello, too"));
        await plugin.SendToBridgeAsync("ünïcødé 🧩", cancellationToken);
        Assert.That(await NextAsync(messages, cancellationToken), Is.EqualTo("echo: ünïcødé 🧩"));
        await plugin.SendToBridgeAsync("""{"n":1}""", cancellationToken);
        Assert.That(await NextAsync(messages, cancellationToken), Is.EqualTo("""{"n":1,"seen":true}"""));
    }

    [Test, CancelAfter(30_000)]
    public async Task Greeter_ThroughGetProxy_CallsStreamsAndReportsProgress(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        IGreeter greeter = plugin.GetProxy<IGreeter>();

        Assert.That(await greeter.HelloAsync("Ann", cancellationToken), Is.EqualTo("Hello, Ann! (NodeEcho, greeting #1)"));
        Assert.That(await greeter.HelloAsync("Bob", cancellationToken), Is.EqualTo("Hello, Bob! (NodeEcho, greeting #2)"));
        Assert.That(await greeter.MoveAsync(new Point(1, 2), 10, 20, cancellationToken), Is.EqualTo(new Point(11, 22)));
        var counted = new List<int>();
        await foreach (int i in greeter.CountAsync(1, 300, cancellationToken))
        {
            counted.Add(i);
        }

        var reports = new List<int>();
        int sum = await greeter.SumWithProgressAsync([1, 2, 3], new SynchronousProgress(reports), cancellationToken);
        await greeter.ResetAsync(cancellationToken);

        Assert.That(counted, Is.EqualTo(Enumerable.Range(1, 300)));
        Assert.That(sum, Is.EqualTo(6));
        Assert.That(reports, Is.EqualTo(new[] { 1, 3, 6 }), "every report arrives before the answer");
        Assert.That(await greeter.HelloAsync("Cy", cancellationToken), Is.EqualTo("Hello, Cy! (NodeEcho, greeting #1)"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Greeter_ConsumerLeavesAStreamEarly_PluginKeepsServing(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        IGreeter greeter = plugin.GetProxy<IGreeter>();

        for (int round = 0; round < 70; round++)
        {
            await foreach (int i in greeter.CountAsync(1, 1_000_000, cancellationToken))
            {
                if (i == 100)
                {
                    break;
                }
            }
        }

        Assert.That(await greeter.HelloAsync("after", cancellationToken), Does.StartWith("Hello, after!"), "70 streams left early did not exhaust the plugin's 64");
    }

    [Test, CancelAfter(30_000)]
    public async Task Greeter_PluginCallsTheHostsIGreeter(CancellationToken cancellationToken)
    {
        Plugin plugin = CreatePlugin(Options());
        plugin.AddTarget<IGreeter>(new Greeter("host"));
        await plugin.StartAsync(cancellationToken);

        Assert.That(await plugin.CallAsync("greet-host", "Node", cancellationToken), Is.EqualTo("Hello, Node! (host, greeting #1)"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Crash_CallPending_FailsWithTheExitCode(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        Task<IReadOnlyList<PluginState>> failed = WhenStateAsync(plugin, PluginState.Failed, cancellationToken);
        Task<string> sleeping = plugin.CallAsync("sleep", "10000", cancellationToken);
        Assert.That(await plugin.CallAsync("echo", "in flight", cancellationToken), Is.EqualTo("in flight"));

        var watch = Stopwatch.StartNew();
        Exception? crashError = await Failure.Of(plugin.CallAsync("crash", string.Empty, cancellationToken).WaitAsync(s_timeout, cancellationToken));
        Exception? sleepError = await Failure.Of(sleeping.WaitAsync(s_timeout, cancellationToken));

        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(2)));
        Assert.That(crashError, Is.InstanceOf<ChannelClosedException>());
        Assert.That(sleepError, Is.InstanceOf<ChannelClosedException>());
        Assert.That(Find<PluginExitedException>(sleepError)?.ExitCode, Is.EqualTo(3), sleepError!.ToString());
        Assert.That(await failed.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(new[] { PluginState.Disconnected, PluginState.Failed }));
    }

    [Test, CancelAfter(60_000)]
    public async Task Restart_PluginCrashes_RestartsAndTheBridgeConnectsAgain(CancellationToken cancellationToken)
    {
        PluginOptions options = Options();
        options.RestartPolicy = new RestartPolicy { MaxRestarts = 3, InitialDelay = TimeSpan.FromMilliseconds(50) };
        await using Plugin plugin = await StartAsync(options, cancellationToken);
        await using IAsyncEnumerator<string> messages = plugin.ReadBridgeAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        Assert.That(await NextAsync(messages, cancellationToken), Is.EqualTo("hello, I am connected"));
        int firstPid = plugin.ProcessId!.Value;
        Task<IReadOnlyList<PluginState>> running = WhenStateAsync(plugin, PluginState.Running, cancellationToken);

        await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("crash", string.Empty, cancellationToken));

        Assert.That(await running.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(new[] { PluginState.Disconnected, PluginState.Restarting, PluginState.Running }));
        Assert.That(plugin.ProcessId, Is.Not.EqualTo(firstPid));
        Assert.That(await NextAsync(messages, cancellationToken), Is.EqualTo("hello, I am connected"), "the new process connected its bridge");
        Assert.That(await plugin.CallAsync("callback", "again", cancellationToken), Is.EqualTo("Response: again"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Stop_RunsTheStopHookAndExitsZero(CancellationToken cancellationToken)
    {
        string marker = Path.Combine(Path.GetTempPath(), $"node-stop-{Guid.NewGuid():N}");
        var loggers = new CapturingLoggerFactory();
        PluginOptions options = Options();
        options.LoggerFactory = loggers;
        options.Environment["NODE_ECHO_STOP_MARKER"] = marker;
        await using Plugin plugin = await StartAsync(options, cancellationToken);
        var exited = new TaskCompletionSource<PluginExitedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Exited += (_, e) => exited.TrySetResult(e);
        Task<string> sleeping = plugin.CallAsync("sleep", "300", cancellationToken);
        Assert.That(await plugin.CallAsync("echo", "in flight", cancellationToken), Is.EqualTo("in flight"));

        await plugin.StopAsync(cancellationToken);

        Assert.That(await sleeping, Is.EqualTo("slept"), "in-flight work finishes within the grace period");
        PluginExitedEventArgs exit = await exited.Task.WaitAsync(s_timeout, cancellationToken);
        Assert.That((exit.ExitCode, exit.Expected), Is.EqualTo((0, true)));
        Assert.That(File.ReadAllText(marker), Is.EqualTo("stopped aborted=false"));
        File.Delete(marker);
        await loggers.WaitForAsync(e => e.Message.Contains("disconnect", StringComparison.Ordinal), cancellationToken);
    }

    [Test, CancelAfter(30_000)]
    public async Task Stop_WorkLongerThanTheGrace_IsCancelledAndThePluginStillExitsZero(CancellationToken cancellationToken)
    {
        PluginOptions options = Options();
        options.Environment["NODE_ECHO_GRACE_MS"] = "300";
        await using Plugin plugin = await StartAsync(options, cancellationToken);
        var exited = new TaskCompletionSource<PluginExitedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Exited += (_, e) => exited.TrySetResult(e);
        Task<string> sleeping = plugin.CallAsync("sleep", "20000", cancellationToken);
        Assert.That(await plugin.CallAsync("echo", "in flight", cancellationToken), Is.EqualTo("in flight"));

        var watch = Stopwatch.StartNew();
        await plugin.StopAsync(cancellationToken);

        Assert.That(await Failure.Of(sleeping), Is.InstanceOf<OperationCanceledException>().Or.InstanceOf<ChannelClosedException>());
        PluginExitedEventArgs exit = await exited.Task.WaitAsync(s_timeout, cancellationToken);
        Assert.That((exit.ExitCode, exit.Expected), Is.EqualTo((0, true)));
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(4)), "the grace period (300 ms), not the host's stop timeout, bounds the stop");
    }

    [Test, CancelAfter(30_000)]
    public async Task Bridge_PluginAsksToStop_ExitsZero(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartAsync(Options(), cancellationToken);
        var exited = new TaskCompletionSource<PluginExitedEventArgs>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Exited += (_, e) => exited.TrySetResult(e);

        await plugin.SendToBridgeAsync("stop me", cancellationToken);

        Assert.That((await exited.Task.WaitAsync(s_timeout, cancellationToken)).ExitCode, Is.Zero);
    }

    [Test, CancelAfter(60_000)]
    public async Task Json_SerializerGreeterCallsWork(CancellationToken cancellationToken)
    {
        PluginOptions options = Options();
        options.Environment["NODE_ECHO_SERIALIZER"] = "json";
        options.Serializer = new JsonPluginSerializer();
        await using Plugin plugin = await StartAsync(options, cancellationToken);
        IGreeter greeter = plugin.GetProxy<IGreeter>();

        Assert.That(plugin.Metadata["serializer"], Is.EqualTo("json"));
        Assert.That(await greeter.MoveAsync(new Point(1, 2), 3, 4, cancellationToken), Is.EqualTo(new Point(4, 6)));
        var counted = new List<int>();
        await foreach (int i in greeter.CountAsync(5, 7, cancellationToken))
        {
            counted.Add(i);
        }

        Assert.That(counted, Is.EqualTo(new[] { 5, 6, 7 }));
    }

    internal static string ContractShapeOf<T>()
        where T : class => Contracts.ContractRegistry.Get<T>().Shape;

    private static async Task<string> NextAsync(IAsyncEnumerator<string> messages, CancellationToken cancellationToken)
    {
        Assert.That(await messages.MoveNextAsync().AsTask().WaitAsync(s_timeout, cancellationToken), Is.True);
        return messages.Current;
    }

    private static async Task WaitForLogAsync(Plugin plugin, string text, CancellationToken cancellationToken)
    {
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        while (!plugin.GetRecentLogs().Any(l => l.Message == text))
        {
            await timer.WaitForNextTickAsync(cancellationToken);
        }
    }

    private PluginOptions Options() => NodeSdk.Options(_node, "echo.js", "NodeEcho", Framer, Transport);

    private async Task<Plugin> StartAsync(PluginOptions options, CancellationToken cancellationToken)
    {
        Plugin plugin = CreatePlugin(options);
        plugin.Handle("Repeat", (chunk, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("Response: " + Encoding.UTF8.GetString(chunk.Buffer.Span))));
        await plugin.StartAsync(cancellationToken);
        return plugin;
    }

    /// <summary>Records reports as they are made, unlike <see cref="Progress{T}"/>, which posts them.</summary>
    private sealed class SynchronousProgress(List<int> reports) : IProgress<int>
    {
        public void Report(int value)
        {
            lock (reports)
            {
                reports.Add(value);
            }
        }
    }

    /// <summary>Handles <paramref name="cmd"/> on the host; the task gives the text of its first message.</summary>
    private static Task<string> FirstText(Plugin plugin, string cmd)
    {
        var first = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Handle(cmd, (chunk, _, _) =>
        {
            first.TrySetResult(Encoding.UTF8.GetString(chunk.Buffer.Span));
            return default;
        });
        return first.Task;
    }
}
