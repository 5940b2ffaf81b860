using System.Text;

namespace PluginIpc.Tests.Bus;

/// <summary>The host brokers the bus between its own code and its plugin processes: publish, subscribe, requests, allow-lists, system topics, restarts.</summary>
[Category("Process")]
public sealed class BusPluginProcessTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromSeconds(30);

    [Test, CancelAfter(90_000)]
    public async Task PluginPublishes_HostSubscribersAndSubscribedPluginsReceive_OthersDoNot()
    {
        await using var host = new BusPlugins(
            null,
            new BusPluginSpec("a", "sub=news"),
            new BusPluginSpec("b", "sub=news"),
            new BusPluginSpec("j", ["sub=news", "json"], o => o.Serializer = new JsonPluginSerializer(), "text"),
            new BusPluginSpec("c", "sub=barrier"));
        var atHost = new Received<string>();
        await host.Bus.SubscribeAsync("news", atHost.Handler(m => $"{m.Text}|{m.Publisher}|{m.Sequence}"));
        await host.StartAsync("a", "b", "j", "c");

        Assert.That(await host.AskAsync("a", "publish", "news|hello"), Is.EqualTo("ok"));
        Assert.That(await host.AskAsync("j", "publish", "news|from json"), Is.EqualTo("ok"));

        Assert.That(await atHost.NextAsync(2), Is.EqualTo(new[] { "hello|a|1", "from json|j|2" }));
        Assert.That(await host.Seen("b").NextAsync(2), Is.EqualTo(new[] { "news|1|0|a|hello", "news|2|0|j|from json" }));
        Assert.That(await host.Seen("j").NextAsync(2), Is.EqualTo(new[] { "news|1|0|a|hello", "news|2|0|j|from json" }), "over the json serializer and the text framing too");
        Assert.That(await host.Seen("a").NextAsync(2), Is.EqualTo(new[] { "news|1|0|a|hello", "news|2|0|j|from json" }), "a subscribed publisher gets its own messages");
        await host.Bus.PublishAsync("barrier", "x");
        Assert.That(await host.Seen("c").NextAsync(), Is.EqualTo("barrier|1|0||x"), "c never got news: it would have come before");
    }

    [Test, CancelAfter(90_000)]
    public async Task HostPublishes_APluginReceivesEveryMessageInOrder()
    {
        await using var host = new BusPlugins(null, new BusPluginSpec("b", "sub=seq", "psub=pat.*"));
        await host.StartAsync("b");

        for (int i = 1; i <= 300; i++)
        {
            await host.Bus.PublishAsync("seq", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        await host.Bus.PublishAsync("pat.x.y", "p");
        List<string> seen = await host.Seen("b").NextAsync(301);

        // In order per topic; the two subscriptions run side by side, so their messages may interleave.
        Assert.That(seen.Where(m => m.StartsWith("seq|", StringComparison.Ordinal)), Is.EqualTo(Enumerable.Range(1, 300).Select(i => $"seq|{i}|0||{i}")));
        Assert.That(seen.Where(m => m.StartsWith("pat.", StringComparison.Ordinal)), Is.EqualTo(new[] { "pat.x.y|1|0||p" }));
    }

    [Test, CancelAfter(90_000)]
    public async Task ASlowSubscriberInAPlugin_LosesMessagesAsGaps_AndItsChannelKeepsAnswering()
    {
        await using var host = new BusPlugins(null, new BusPluginSpec("s", "sub=t", "delay=200", "queue=4"));
        await host.StartAsync("s");

        for (int i = 1; i <= 200; i++)
        {
            await host.Bus.PublishAsync("t", "m");
        }

        var answered = System.Diagnostics.Stopwatch.StartNew();
        Assert.That(await host.AskAsync("s", "publish", "other|x"), Is.EqualTo("ok"));
        Assert.That(answered.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)), "the plugin's read loop never waits for its slow handler");
        var seen = new List<(long Sequence, long Missed)>();
        while (seen.Count == 0 || seen[^1].Sequence < 200)
        {
            string[] parts = (await host.Seen("s").NextAsync()).Split('|');
            seen.Add((long.Parse(parts[1], System.Globalization.CultureInfo.InvariantCulture), long.Parse(parts[2], System.Globalization.CultureInfo.InvariantCulture)));
        }

        Assert.That(seen.Count, Is.LessThan(200), "its queue of 4 dropped some: " + string.Join(", ", seen));
        Assert.That(seen.Sum(m => m.Missed + 1), Is.EqualTo(200), "every dropped message shows as a gap: " + string.Join(", ", seen));
        Assert.That(seen.Select(m => m.Sequence), Is.Ordered.Ascending);
    }

    [Test, CancelAfter(90_000)]
    public async Task Requests_BetweenHostAndPlugins_BothWays()
    {
        await using var host = new BusPlugins(null, new BusPluginSpec("a", "sub=ask"), new BusPluginSpec("b"), new BusPluginSpec("c", "sub=ask"));
        await host.Bus.SubscribeAsync("hostq", (message, _) =>
        {
            message.Reply("host:" + message.Text + ":" + message.Publisher);
            return default;
        });
        await host.StartAsync("a", "b", "c");

        BusMessage reply = await host.Bus.RequestAsync("ask", Encoding.UTF8.GetBytes("x"), s_long);
        Assert.That((reply.Text, reply.Publisher), Is.EqualTo(("a:x", "a")), "the first plugin that subscribed takes it");
        Assert.That(await host.AskAsync("b", "request", "hostq|hi|10000"), Is.EqualTo("host:hi:b"));
        Assert.That(await host.AskAsync("b", "requestAll", "ask|y|5000"), Is.EqualTo("a:y\nc:y"));
        Assert.That(await host.Bus.RequestAllAsync("ask", "z", s_long), Is.EquivalentTo(new[] { "a:z", "c:z" }));

        RemoteException? nobody = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("b", "request", "nobody|x|10000"));
        Assert.That(nobody!.Code, Is.EqualTo(ErrorCodes.NoSubscribers), nobody.Message);
        Assert.That(nobody.Message, Does.Contain("'nobody'"));
    }

    [Test, CancelAfter(90_000)]
    public async Task Request_ASubscribedPluginFailedForGood_TheNextSubscriberIsAsked()
    {
        await using var host = new BusPlugins(null, new BusPluginSpec("a", "sub=ask"), new BusPluginSpec("c", "sub=ask"));
        await host.StartAsync("a", "c");
        Plugin a = await host.Manager.GetAsync("a");
        var failed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        a.StateChanged += (_, change) =>
        {
            if (change.State == PluginState.Failed)
            {
                failed.TrySetResult();
            }
        };

        _ = a.CallAsync("crash", "").ContinueWith(static t => t.Exception, TaskScheduler.Default);
        await failed.Task.WaitAsync(TimeSpan.FromSeconds(30));

        Assert.That(await host.Bus.RequestAsync("ask", "x", s_long), Is.EqualTo("c:x"));
    }

    [Test, CancelAfter(90_000)]
    public async Task AllowLists_APluginCannotPublishOrReadTopicsItWasNotGiven_EvenPastTheSdk()
    {
        await using var host = new BusPlugins(
            null,
            new BusPluginSpec("p", [], o =>
            {
                o.BusPublishTopics = ["allowed.*"];
                o.BusSubscribeTopics = ["allowed.*"];
            }));
        var secret = new Received<string>();
        var allowed = new Received<string>();
        await host.Bus.SubscribeAsync("secret", secret.Handler(m => m.Text));
        await host.Bus.SubscribeAsync("allowed.x", allowed.Handler(m => m.Text));
        await host.StartAsync("p");

        RemoteException? publish = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("p", "publish", "secret|x"));
        Assert.That(publish!.Message, Does.StartWith("UnauthorizedAccessException: Plugin 'p' may not publish to topic 'secret'"));
        RemoteException? subscribe = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("p", "subscribe", "secret"));
        Assert.That(subscribe!.Message, Does.StartWith("UnauthorizedAccessException: Plugin 'p' may not subscribe to topic 'secret'"));
        RemoteException? system = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("p", "publish", "sys.restart|[\"p\"]"));
        Assert.That(system!.Message, Does.Contain("system topics need an entry of their own"));

        // Past the SDK, as a plugin in another language could: the host refuses on its own.
        RemoteException? forcedSubscribe = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("p", "rawsubscribe", "secret"));
        Assert.That(forcedSubscribe!.Code, Is.EqualTo(ErrorCodes.Forbidden), forcedSubscribe.Message);
        var systemAtHost = new Received<string>();
        await host.Bus.SubscribeAsync(BusTopics.ConfigChanged, systemAtHost.Handler(m => m.Text));
        Assert.That(await host.AskAsync("p", "rawpublish", "secret|forged"), Is.EqualTo("ok"));
        Assert.That(await host.AskAsync("p", "rawpublish", "sys.config.changed|forged"), Is.EqualTo("ok"));
        Assert.That(await host.AskAsync("p", "publish", "allowed.x|after"), Is.EqualTo("ok"));
        Assert.That(await allowed.NextAsync(), Is.EqualTo("after"));
        await host.Bus.PublishAsync("secret", "sentinel");
        await host.Bus.PublishAsync(BusTopics.ConfigChanged, "sentinel");
        Assert.That(await secret.NextAsync(), Is.EqualTo("sentinel"), "the forged message came before the sentinel and would have been queued first");
        Assert.That(await systemAtHost.NextAsync(), Is.EqualTo("sentinel"), "a forged system message neither");

        await host.Bus.PublishAsync("secret", "not for p");
        Assert.That(await host.ConfigChanged("p").NextAsync(), Is.EqualTo("sentinel"), "only the host's system message ran p's hook");
        await host.Bus.PublishAsync("allowed.y", "for p? it did not subscribe");
        Assert.That(await host.AskAsync("p", "psubscribe", "allowed.*"), Is.EqualTo("ok"));
        await host.Bus.PublishAsync("allowed.z", "for p");
        Assert.That(await host.Seen("p").NextAsync(), Is.EqualTo("allowed.z|1|0||for p"));
    }

    [Test, CancelAfter(90_000)]
    public async Task ColonTopics_FromAPlugin_GetTheHostsApplicationId_AndSoDoItsAllowLists()
    {
        await using var host = new BusPlugins(
            o => o.Bus.ApplicationId = "shop",
            new BusPluginSpec("p", ["sub=:prices"], o => o.BusPublishTopics = [":orders.*"]));
        var orders = new Received<string>();
        await host.Bus.SubscribeAsync("shop:orders.new", orders.Handler(m => m.Topic + "|" + m.Text));
        await host.StartAsync("p");

        Assert.That(await host.AskAsync("p", "publish", ":orders.new|1"), Is.EqualTo("ok"));
        Assert.That(await orders.NextAsync(), Is.EqualTo("shop:orders.new|1"));
        RemoteException? unprefixed = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("p", "publish", "orders.new|2"));
        Assert.That(unprefixed!.Message, Does.Contain("'orders.new'"));
        await host.Bus.PublishAsync(":prices", "9.99");
        Assert.That(await host.Seen("p").NextAsync(), Is.EqualTo("shop:prices|1|0||9.99"));
    }

    [Test, CancelAfter(90_000)]
    public async Task AColonTopicOfTheLongestLength_FromAPlugin_IsTaken()
    {
        // The plugin side expands it before it sends: the host checks the :topic it came from, not the longer expansion.
        string topic = ":" + new string('x', BusTopics.MaxLength - 1);
        await using var host = new BusPlugins(o => o.Bus.ApplicationId = "shop", new BusPluginSpec("p", [], o => o.BusPublishTopics = [":x*"]));
        var received = new Received<string>();
        await host.Bus.SubscribeAsync(topic, received.Handler(m => m.Text));
        await host.StartAsync("p");

        Assert.That(await host.AskAsync("p", "publish", topic + "|long"), Is.EqualTo("ok"));
        Assert.That(await received.NextAsync(), Is.EqualTo("long"));
    }

    [Test, CancelAfter(90_000)]
    public async Task SystemTopics_ReachEveryPluginWithoutSubscribing_ConfigChangedRunsTheHook()
    {
        await using var host = new BusPlugins(null, new BusPluginSpec("a"), new BusPluginSpec("b", "sub=other"));
        await host.StartAsync("a", "b");

        await host.Bus.PublishAsync(BusTopics.ConfigChanged, "version 2");

        Assert.That(await host.ConfigChanged("a").NextAsync(), Is.EqualTo("version 2"));
        Assert.That(await host.ConfigChanged("b").NextAsync(), Is.EqualTo("version 2"));
        RemoteException? forged = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("a", "publish", "sys.config.changed|forged"));
        Assert.That(forged!.Message, Does.StartWith("UnauthorizedAccessException"));
    }

    [Test, CancelAfter(120_000)]
    public async Task SysRestart_RestartsTheNamedPluginsOnly_AndWhatIsPublishedMeanwhileArrives()
    {
        await using var host = new BusPlugins(null, new BusPluginSpec("a"), new BusPluginSpec("b", "sub=news"));
        await host.StartAsync("a", "b");
        List<string> first = await host.Ready.NextAsync(2);
        string firstB = first.Single(entry => entry.StartsWith("b ", StringComparison.Ordinal));
        Plugin oldB = await host.Manager.GetAsync("b");
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously); // stopping: published before the new process exists
        oldB.StateChanged += (_, change) =>
        {
            if (change.State == PluginState.Stopping)
            {
                stopped.TrySetResult();
            }
        };

        await host.Bus.PublishAsync(BusTopics.Restart, "[\"b\", \"not-here\"]");
        await stopped.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await host.Bus.PublishAsync("news", "during the restart");

        Assert.That(await host.Seen("b").NextAsync(), Is.EqualTo("news|1|0||during the restart"), "queued for b until its new process ran");
        string restarted = await host.Ready.NextAsync();
        Assert.That(restarted, Does.StartWith("b "));
        Assert.That(restarted, Is.Not.EqualTo(firstB), "a new process");
        Assert.That(host.Manager.GetStatus("a").ProcessId, Is.EqualTo(int.Parse(first.Single(e => e.StartsWith("a ", StringComparison.Ordinal))[2..], System.Globalization.CultureInfo.InvariantCulture)));
        Assert.That(host.Ready.TryTake(out _), Is.False);
    }

    [Test, CancelAfter(120_000)]
    public async Task SysRestart_AFloodOfRequests_RestartsThePluginAtMostTwice()
    {
        // Anyone who may publish sys.restart (on Redis: anyone who reaches its channel) can send many at once. The restart that
        // has not begun covers them; those after it began get one more. Before, each queued a restart of its own, which went
        // on long after the flood.
        await using var host = new BusPlugins(null, new BusPluginSpec("b"));
        await host.StartAsync("b");
        string first = await host.Ready.NextAsync();
        for (int i = 0; i < 50; i++)
        {
            await host.Bus.PublishAsync(BusTopics.Restart, "[\"b\"]");
        }

        var processes = new List<string> { first, await host.Ready.NextAsync() };
        using var quiet = new CancellationTokenSource();
        while (processes.Count <= 4)
        {
            quiet.CancelAfter(TimeSpan.FromSeconds(3)); // a further restart starts within 3 s of the last one's end
            try
            {
                processes.Add(await host.Ready.NextAsync(quiet.Token));
            }
            catch (OperationCanceledException) when (quiet.IsCancellationRequested)
            {
                break;
            }
        }

        Assert.That(processes, Is.Unique, "each restart a new process");
        Assert.That(processes, Has.Count.InRange(2, 3), "at most one restart after the one under way: " + string.Join(", ", processes));
    }

    [Test, CancelAfter(120_000)]
    public async Task APluginRestartsAfterACrash_ItsSubscriptionsHold_AndAMessagePublishedMeanwhileArrives()
    {
        var restarting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using var host = new BusPlugins(null, new BusPluginSpec("r", ["sub=news"], o => o.RestartPolicy = RestartPolicy.OnFailure));
        await host.StartAsync("r");
        Plugin plugin = await host.Manager.GetAsync("r");
        plugin.StateChanged += (_, change) =>
        {
            if (change.State == PluginState.Restarting)
            {
                restarting.TrySetResult();
            }
        };

        Crash(plugin);
        await restarting.Task.WaitAsync(TimeSpan.FromSeconds(30));
        await host.Bus.PublishAsync("news", "while restarting");

        Assert.That(await host.Seen("r").NextAsync(), Is.EqualTo("news|1|0||while restarting"));
        Assert.That(plugin.RestartCount, Is.EqualTo(1));
    }

    [Test, CancelAfter(120_000)]
    public async Task APluginRestarts_TheSubscriptionsItsNewProcessDidNotMakeAgainAreDropped()
    {
        await using var host = new BusPlugins(null, new BusPluginSpec("r", ["sub=news"], o => o.RestartPolicy = RestartPolicy.OnFailure));
        await host.StartAsync("r");
        Plugin plugin = await host.Manager.GetAsync("r");
        Assert.That(await plugin.CallAsync("subscribe", "run.first"), Is.EqualTo("ok"), "a subscription of the first process only");
        Assert.That(host.Manager.GetStatus("r").Subscriptions, Is.EqualTo(new[] { "news", "run.first" }));

        Task<string[]> runningAgain = SubscriptionsWhenRunningAgain(host, plugin);
        Crash(plugin);

        Assert.That(await runningAgain.WaitAsync(TimeSpan.FromSeconds(30)), Is.EqualTo(new[] { "news" }), "news was made again by the new process's start; run.first was not");
        Assert.That(plugin.RestartCount, Is.EqualTo(1));
    }

    [Test, CancelAfter(120_000)]
    public async Task APluginAtItsSubscriptionLimitRestarts_ItsNewProcessMaySubscribeAnew_AndTheOldOnesGo()
    {
        await using var host = new BusPlugins(null, new BusPluginSpec("r", ["sub=run.{pid}"], o => o.RestartPolicy = RestartPolicy.OnFailure));
        await host.StartAsync("r");
        Plugin plugin = await host.Manager.GetAsync("r");
        int firstPid = plugin.ProcessId!.Value;
        for (int i = 1; i < PluginBusLink.MaxSubscriptions; i++)
        {
            Assert.That(await plugin.CallAsync("subscribe", $"fill.{i}"), Is.EqualTo("ok"));
        }

        Assert.That(host.Manager.GetStatus("r").Subscriptions, Has.Count.EqualTo(PluginBusLink.MaxSubscriptions), "at the limit");
        Task<string[]> runningAgain = SubscriptionsWhenRunningAgain(host, plugin);
        Crash(plugin);

        // The new process's own topic is taken although its predecessor's 1,024 still stand: they go once it runs.
        string[] after = await runningAgain.WaitAsync(TimeSpan.FromSeconds(30));
        Assert.That(after, Is.EqualTo(new[] { $"run.{plugin.ProcessId}" }));
        Assert.That(plugin.ProcessId, Is.Not.EqualTo(firstPid));
        Assert.That(plugin.RestartCount, Is.EqualTo(1));
    }

    /// <summary>Completes with the plugin's subscriptions as the host has them the moment it runs again (a new process).</summary>
    private static Task<string[]> SubscriptionsWhenRunningAgain(BusPlugins host, Plugin plugin)
    {
        var runningAgain = new TaskCompletionSource<string[]>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.StateChanged += (_, change) =>
        {
            if (change.PreviousState != PluginState.Running && change.State == PluginState.Running)
            {
                runningAgain.TrySetResult([.. host.Manager.GetStatus(plugin.Name).Subscriptions]);
            }
        };
        return runningAgain.Task;
    }

    /// <summary>Makes the plugin's process exit at once (code 3); the call's failure, its connection lost, is expected.</summary>
    private static void Crash(Plugin plugin) =>
        _ = plugin.CallAsync("crash", "").ContinueWith(static t => t.Exception, TaskScheduler.Default);
}
