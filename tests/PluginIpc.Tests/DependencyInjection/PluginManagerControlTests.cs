using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.DependencyInjection;

/// <summary>Process control by name (start, stop that holds, restart), the log query across plugins, and the status a dashboard reads.</summary>
[Category("Process")]
public sealed class PluginManagerControlTests
{
    [Test, CancelAfter(60_000)]
    public async Task StopByName_KeepsThePluginStopped_UntilStartByName(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = Services(("probe", null)).BuildServiceProvider();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();
        Plugin first = await manager.GetAsync("probe", cancellationToken);
        int firstProcess = first.ProcessId!.Value;

        await manager.StopPluginAsync("probe", cancellationToken);

        Assert.That(ProcFs.IsAlive(firstProcess), Is.False);
        Assert.That(manager.GetState("probe"), Is.EqualTo(PluginState.Stopped));
        Assert.That(manager.GetStatus("probe").IsHeld, Is.True);
        PluginStartException? held = Assert.ThrowsAsync<PluginStartException>(() => manager.GetAsync("probe", cancellationToken));
        Assert.That(held!.Message, Does.Contain("StartPluginAsync or RestartPluginAsync"));

        await manager.StartPluginAsync("probe", cancellationToken);

        PluginStatus status = manager.GetStatus("probe");
        Assert.That(status.State, Is.EqualTo(PluginState.Running));
        Assert.That(status.IsHeld, Is.False);
        Assert.That(status.ProcessId, Is.Not.EqualTo(firstProcess).And.Not.Null);
        Assert.That((await manager.GetAsync("probe", cancellationToken)).ProcessId, Is.EqualTo(status.ProcessId));
    }

    [Test, CancelAfter(60_000)]
    public async Task StopByName_BeforeAnyStart_HoldsIt_AndRestartStartsIt(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = Services(("probe", null)).BuildServiceProvider();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        await manager.StopPluginAsync("probe", cancellationToken);
        Assert.That(manager.GetState("probe"), Is.EqualTo(PluginState.Stopped));
        Assert.ThrowsAsync<PluginStartException>(() => manager.GetAsync("probe", cancellationToken));

        await manager.RestartPluginAsync("probe", cancellationToken);
        Assert.That(manager.GetState("probe"), Is.EqualTo(PluginState.Running));
    }

    [Test, CancelAfter(60_000)]
    public async Task RestartByName_StartsANewProcess_AndTheExitHistoryKeepsTheOldOne(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = Services(("probe", null)).BuildServiceProvider();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();
        int firstProcess = (await manager.GetAsync("probe", cancellationToken)).ProcessId!.Value;

        await manager.RestartPluginAsync("probe", cancellationToken);

        PluginStatus status = manager.GetStatus("probe");
        Assert.That(status.ProcessId, Is.Not.EqualTo(firstProcess).And.Not.Null);
        Assert.That(status.Exits.Select(e => (e.ProcessId, e.ExitCode, e.Expected)), Is.EqualTo(new[] { (firstProcess, 0, true) }));
        Assert.That(status.StartedAt, Is.Not.Null.And.GreaterThan(status.Exits[0].Time.AddSeconds(-1)));
    }

    [Test]
    public async Task ControlOfAnUnknownName_SaysWhichNamesExist()
    {
        await using ServiceProvider provider = Services(("probe", null)).BuildServiceProvider();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        KeyNotFoundException? stop = Assert.ThrowsAsync<KeyNotFoundException>(() => manager.StopPluginAsync("nobody"));
        Assert.ThrowsAsync<KeyNotFoundException>(() => manager.StartPluginAsync("nobody"));
        Assert.ThrowsAsync<KeyNotFoundException>(() => manager.RestartPluginAsync("nobody"));
        Assert.Throws<KeyNotFoundException>(() => manager.QueryLogs(new PluginLogQuery { Plugin = "nobody" }));
        Assert.That(stop!.Message, Does.Contain("known plugins: probe"));
    }

    [Test, CancelAfter(90_000)]
    public async Task QueryLogs_SpansPlugins_NewestFirst_AndOutlivesANewStart(CancellationToken cancellationToken)
    {
        // Entries reach the host after the plugin answers, so the test waits for each before the next: the host's order is then known.
        using var logs = new Host.CapturingLoggerFactory();
        await using ServiceProvider provider = Services(("a", o => o.LoggerFactory = logs), ("b", o => o.LoggerFactory = logs)).BuildServiceProvider();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();
        Plugin a = await manager.GetAsync("a", cancellationToken);
        Plugin b = await manager.GetAsync("b", cancellationToken);
        foreach ((Plugin plugin, string line) in new[] { (a, "Warning|a one"), (b, "Warning|b one"), (a, "Information|a two") })
        {
            await plugin.CallAsync("log", line, cancellationToken);
            string text = line.Split('|')[1];
            await logs.WaitForAsync(e => e.Message.Contains(text, StringComparison.Ordinal), cancellationToken);
        }

        IReadOnlyList<PluginLogEntry> warnings = manager.QueryLogs(new PluginLogQuery { MinimumLevel = LogLevel.Warning, Contains = " one" });
        Assert.That(warnings.Select(e => (e.Plugin, e.Message)), Is.EqualTo(new[] { ("b", "b one"), ("a", "a one") }));
        Assert.That(warnings[0].Category, Is.EqualTo("Probe"));

        await manager.RestartPluginAsync("a", cancellationToken); // a new Plugin instance for "a": its history carries over
        IReadOnlyList<PluginLogEntry> ofA = manager.QueryLogs(new PluginLogQuery { Plugin = "a", Contains = "a " });
        Assert.That(ofA.Select(e => e.Message), Is.EqualTo(new[] { "a two", "a one" }));
        Assert.That((await manager.GetAsync("a", cancellationToken)).QueryLogs(new PluginLogQuery { Contains = "a one" }), Has.Count.EqualTo(1), "the plugin's own query reads the same history");
        Assert.That(manager.QueryLogs(new PluginLogQuery { MaxEntries = 1 }), Has.Count.EqualTo(1));
    }

    [Test, CancelAfter(60_000)]
    public async Task TheStatus_TellsFramerTransportMetadataAndTopics(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = Services(("probe", o =>
        {
            o.Framer = "text";
            o.BusPublishTopics = ["news.*"];
        })).BuildServiceProvider();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();
        Assert.That(manager.GetStatus("probe").Framer, Is.Null, "unknown before the first start");

        Plugin probe = await manager.GetAsync("probe", cancellationToken);
        await probe.CallAsync("publish", "news.sport|goal", cancellationToken);
        await probe.CallAsync("publish", "news.sport|again", cancellationToken);
        await probe.CallAsync("publish", "news.weather|rain", cancellationToken);

        PluginStatus status = manager.GetStatus("probe");
        Assert.That(status.Framer, Is.EqualTo("text"));
        Assert.That(status.Transport, Is.EqualTo(PluginTransport.InheritedPipes));
        Assert.That(status.Metadata["name"], Is.EqualTo("GatewayProbe"));
        Assert.That(status.PublishedTopics, Is.EqualTo(new[] { "news.sport", "news.weather" }));
        Assert.That(status.Subscriptions, Is.Empty);
    }

    private static ServiceCollection Services(params (string Name, Action<PluginOptions>? Configure)[] plugins)
    {
        var services = new ServiceCollection();
        services.AddPluginIpc(o => o.PluginFolders.Clear());
        foreach ((string name, Action<PluginOptions>? configure) in plugins)
        {
            services.AddPlugin(name, o =>
            {
                o.ExecutablePath = TestPlugin.DotnetPath;
                o.Arguments.Add("exec");
                o.Arguments.Add(TestPlugin.DllPath);
                o.Arguments.Add("gateway");
                o.StartTimeout = TimeSpan.FromSeconds(20);
                configure?.Invoke(o);
            });
        }

        return services;
    }
}
