using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;
using Microsoft.Extensions.Logging;
using PluginIpc.Tests.Host;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Redis.Tests;

/// <summary>
/// The host in the test process: AddPluginIpc + AddPluginIpcRedisBus and, unless none is named, a TestPlugin "bus" plugin whose
/// reports ("topic|seq|missed|publisher|text") go to <see cref="PluginSeen"/>. Logs and the relay's counters are kept.
/// </summary>
internal sealed class LocalHost : IAsyncDisposable
{
    private readonly ServiceProvider _provider;
    private readonly MetricCollector<long> _lost;
    private readonly MetricCollector<long> _received;
    private readonly MetricCollector<long> _sent;

    private LocalHost(ServiceProvider provider, CapturingLoggerFactory logs, LineLog pluginSeen)
    {
        _provider = provider;
        Logs = logs;
        PluginSeen = pluginSeen;
        var meters = provider.GetRequiredService<IMeterFactory>();
        _lost = new MetricCollector<long>(meters, PluginIpcDiagnostics.MeterName, "pluginipc.bus.relay.lost");
        _received = new MetricCollector<long>(meters, PluginIpcDiagnostics.MeterName, "pluginipc.bus.relay.received");
        _sent = new MetricCollector<long>(meters, PluginIpcDiagnostics.MeterName, "pluginipc.bus.relay.sent");
    }

    public CapturingLoggerFactory Logs { get; }

    public LineLog PluginSeen { get; }

    public IPluginBus Bus => _provider.GetRequiredService<IPluginBus>();

    public Plugin? Plugin { get; private set; }

    public long Lost => Sum(_lost);

    public long Received => Sum(_received);

    public long Sent => Sum(_sent);

    /// <summary>Builds the host, resolves its bus (which starts the relay) and starts its plugin if <paramref name="pluginName"/> is given.</summary>
    public static async Task<LocalHost> StartAsync(string redisConfiguration, Action<RedisBusOptions>? configure, string? pluginName, params string[] pluginSubscriptions)
    {
        var services = new ServiceCollection();
        var logs = new CapturingLoggerFactory();
        var seen = new LineLog("The local host's plugin");
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddMetrics();
        services.AddPluginIpc();
        services.AddPluginIpcRedisBus(redisConfiguration, configure ?? (_ => { }));
        if (pluginName is not null)
        {
            services.AddPlugin(pluginName, options =>
            {
                options.ExecutablePath = TestPlugin.DotnetPath;
                foreach (string argument in (string[])["exec", TestPlugin.DllPath, "bus", $"name={pluginName}", .. pluginSubscriptions.Select(topic => $"sub={topic}")])
                {
                    options.Arguments.Add(argument);
                }
            }).Setup((plugin, _) => plugin.Handle("bus.seen", (chunk, _, _) =>
            {
                seen.Add(Encoding.UTF8.GetString(chunk.Buffer.Span));
                return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
            }));
        }

        var host = new LocalHost(services.BuildServiceProvider(), logs, seen);
        try
        {
            _ = host.Bus;
            if (pluginName is not null)
            {
                host.Plugin = await host._provider.GetRequiredService<IPluginManager>().GetAsync(pluginName);
            }
        }
        catch
        {
            await host.DisposeAsync();
            throw;
        }

        return host;
    }

    /// <summary>Waits until the relay (category PluginIpc.Bus.Redis) has logged event <paramref name="eventName"/> <paramref name="times"/> times.</summary>
    public async Task WaitForRelayLogAsync(string eventName, int times = 1)
    {
        bool Match(CapturingLoggerFactory.LoggedEntry entry) => entry.Category == "PluginIpc.Bus.Redis" && entry.EventId.Name == eventName;
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        try
        {
            await Logs.WaitForAsync(entry => Match(entry) && Logs.Entries.Count(Match) >= times, timeout.Token);
        }
        catch (OperationCanceledException)
        {
            Assert.Fail($"The local host's relay did not log {eventName} ({times} times) within 30 s. Its logs:\n{string.Join('\n', Logs.Entries.Select(entry => $"{entry.Category} {entry.EventId.Name}: {entry.Message}"))}");
        }
    }

    /// <summary>Waits until Redis has handed the relay back at least <paramref name="frames"/> frames (its own included).</summary>
    public async Task WaitForReceivedAsync(long frames)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (_received.GetMeasurementSnapshot() is var measurements && measurements.Sum(measurement => measurement.Value) < frames)
        {
            await _received.WaitForMeasurementsAsync(measurements.Count + 1, timeout.Token);
        }
    }

    /// <summary>Waits until Redis has confirmed at least <paramref name="frames"/> of the frames the relay sent.</summary>
    public async Task WaitForSentAsync(long frames)
    {
        using var timeout = new CancellationTokenSource(TimeSpan.FromSeconds(30));
        while (_sent.GetMeasurementSnapshot() is var measurements && measurements.Sum(measurement => measurement.Value) < frames)
        {
            await _sent.WaitForMeasurementsAsync(measurements.Count + 1, timeout.Token);
        }
    }

    /// <summary>Stops the host's services (its bus and relay); the counters and logs stay readable.</summary>
    public ValueTask StopServicesAsync() => _provider.DisposeAsync();

    public async ValueTask DisposeAsync()
    {
        await _provider.DisposeAsync();
        _lost.Dispose();
        _received.Dispose();
        _sent.Dispose();
    }

    private static long Sum(MetricCollector<long> collector) => collector.GetMeasurementSnapshot().Sum(measurement => measurement.Value);
}
