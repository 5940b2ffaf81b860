using System.Diagnostics.Metrics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using PluginIpc.Tests.Diagnostics;

namespace PluginIpc.Tests.DependencyInjection;

/// <summary>A plugin the manager starts records with the application's <see cref="IMeterFactory"/>, not the static meter.</summary>
[Category("Process")]
public sealed class PluginManagerMetricsTests
{
    [Test, CancelAfter(60_000)]
    public async Task GetAsync_ApplicationHasAMeterFactory_PluginCallsAreRecordedWithIt(CancellationToken cancellationToken)
    {
        var services = new ServiceCollection();
        services.AddMetrics();
        services.AddPluginIpc(o => o.PluginFolders.Clear());
        services.AddPlugin("metered-by-di", o => TracePlugin.Configure(o));
        await using ServiceProvider provider = services.BuildServiceProvider();
        IMeterFactory factory = provider.GetRequiredService<IMeterFactory>();
        using var fromFactory = new MetricCollector<double>(factory, PluginIpcDiagnostics.MeterName, "rpc.client.call.duration");
        using var fromStaticMeter = new MetricCollector<double>(null, PluginIpcDiagnostics.MeterName, "rpc.client.call.duration");

        Plugin plugin = await provider.GetRequiredService<IPluginManager>().GetAsync("metered-by-di", cancellationToken);
        await plugin.CallAsync("whoami", "", cancellationToken);

        Assert.That(ChannelMetricsTests.Tags(fromFactory, "metered-by-di"), Does.Contain("rpc.system=pluginipc rpc.method=whoami rpc.service=metered-by-di"));
        Assert.That(ChannelMetricsTests.Tags(fromStaticMeter, "metered-by-di"), Is.Empty, "nothing reaches the static meter");
    }
}
