using System.Diagnostics.Metrics;
using System.IO.Pipelines;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PluginIpc.Tests.DependencyInjection;
using PluginIpc.Tests.Host;

namespace PluginIpc.Tests.Diagnostics;

/// <summary>
/// <see cref="PluginOptions.MeterFactory"/> and <see cref="MainOptions.MeterFactory"/> reach the channels a plugin and a
/// plugin's main build: a real plugin process's calls and restarts, and a plugin side's handled requests, are recorded
/// with the factory's meter.
/// </summary>
[Category("Process")]
public sealed class PluginMetricsTests : PluginTestBase
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Test, CancelAfter(60_000)]
    public async Task Plugin_WithAMeterFactory_RecordsItsCallsAndRestartsWithIt(CancellationToken cancellationToken)
    {
        await using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory factory = services.GetRequiredService<IMeterFactory>();
        using var calls = new MetricCollector<double>(factory, PluginIpcDiagnostics.MeterName, "rpc.client.call.duration");
        using var restarts = new MetricCollector<long>(factory, PluginIpcDiagnostics.MeterName, "pluginipc.plugin.restarts");
        using var io = new MetricCollector<long>(factory, PluginIpcDiagnostics.MeterName, "pluginipc.channel.io");
        var options = new PluginOptions { Name = "metered", MeterFactory = factory };
        TracePlugin.Configure(options);
        options.RestartPolicy = new RestartPolicy { MaxRestarts = 1, InitialDelay = TimeSpan.FromMilliseconds(50) };
        await using Plugin plugin = CreatePlugin(options);
        await plugin.StartAsync(cancellationToken);

        await plugin.CallAsync("whoami", "", cancellationToken);
        Task<IReadOnlyList<PluginState>> running = WhenStateAsync(plugin, PluginState.Running, cancellationToken);
        await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("crash", "", cancellationToken));
        await running.WaitAsync(s_timeout, cancellationToken);
        await restarts.WaitForMeasurementsAsync(1, s_timeout);

        Assert.That(
            ChannelMetricsTests.Tags(calls, "metered"),
            Is.SupersetOf(new[]
            {
                "rpc.system=pluginipc rpc.method=GetMetadata rpc.service=metered",
                "rpc.system=pluginipc rpc.method=whoami rpc.service=metered",
                "rpc.system=pluginipc rpc.method=crash rpc.service=metered error.type=closed",
            }));
        Assert.That(ChannelMetricsTests.Tags(restarts, "metered"), Is.EqualTo(new[] { "rpc.service=metered" }));
        Assert.That(restarts.LastMeasurement!.Value, Is.EqualTo(1));
        Assert.That(io.GetMeasurementSnapshot().Where(m => m.Tags["network.io.direction"] as string == "transmit").Sum(m => m.Value), Is.GreaterThan(0));
    }

    [Test, CancelAfter(30_000)]
    public async Task Main_WithAMeterFactory_RecordsTheHostsRequestsWithIt(CancellationToken cancellationToken)
    {
        await using ServiceProvider services = new ServiceCollection().AddMetrics().BuildServiceProvider();
        IMeterFactory factory = services.GetRequiredService<IMeterFactory>();
        using var handled = new MetricCollector<double>(factory, PluginIpcDiagnostics.MeterName, "rpc.server.call.duration");
        var options = new MainOptions { Name = "plugin-side", MeterFactory = factory, HostPingInterval = Timeout.InfiniteTimeSpan };
        options.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        var toPlugin = new Pipe();
        var toHost = new Pipe();
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        Task<int> running = Main.RunAsync(options, toPlugin.Reader.AsStream(), toHost.Writer.AsStream(), new MessagePackFramer(), stop.Token);
        await using (var host = new PluginIpc.Channel(toHost.Reader.AsStream(), toPlugin.Writer.AsStream(), new MessagePackFramer(), new ChannelOptions { Name = "host" }))
        {
            host.Start();
            Assert.That(await host.CallAsync("echo", "hi", cancellationToken), Is.EqualTo("hi"));
            await Failure.CatchAsync<RemoteException>(() => host.CallAsync("other", "", cancellationToken));
            await handled.WaitForMeasurementsAsync(2, s_timeout);
            stop.Cancel();
            await running.WaitAsync(s_timeout, cancellationToken);
        }

        Assert.That(ChannelMetricsTests.Tags(handled, "plugin-side"), Is.EqualTo(new[]
        {
            "rpc.system=pluginipc rpc.method=echo rpc.service=plugin-side",
            "rpc.system=pluginipc rpc.method=_OTHER rpc.service=plugin-side error.type=UNKNOWN_COMMAND",
        }));
    }
}
