using System.Diagnostics.Metrics;

namespace PluginIpc.AspNetCore.Diagnostics;

/// <summary>The gateway's counters, on the meter named <see cref="PluginIpcDiagnostics.MeterName"/> (the same the core uses).</summary>
internal sealed class GatewayMetrics
{
    private static readonly string? s_version = typeof(Plugin).Assembly.GetName().Version?.ToString();
    private static readonly Lazy<Meter> s_static = new(() => new Meter(PluginIpcDiagnostics.MeterName, s_version));

    public GatewayMetrics(IMeterFactory? factory)
    {
        // Same name and version as the core's meter: a factory hands out that very meter, so listeners see one "PluginIpc".
        Meter meter = factory?.Create(new MeterOptions(PluginIpcDiagnostics.MeterName) { Version = s_version }) ?? s_static.Value;
        Connections = meter.CreateUpDownCounter<long>("pluginipc.gateway.connections", "{connection}", "WebSocket connections the gateway has open.");
        Calls = meter.CreateCounter<long>("pluginipc.gateway.calls", "{call}", "Plugin calls made for gateway clients.");
        Errors = meter.CreateCounter<long>("pluginipc.gateway.errors", "{error}", "Gateway calls that ended with an error, by code.");
        SlowClientDisconnects = meter.CreateCounter<long>("pluginipc.gateway.slow_client_disconnects", "{connection}", "WebSocket clients disconnected because they did not read what was sent to them.");
        SendQueuePeakBytes = meter.CreateHistogram<long>("pluginipc.gateway.send_queue.peak_bytes", "By", "The most bytes a WebSocket connection's send queue held at once, recorded when the connection ends.");
        Refused = meter.CreateCounter<long>("pluginipc.gateway.refused", "{request}", "Requests and connections the gateway refused (authentication, origin, limits).");
    }

    public UpDownCounter<long> Connections { get; }

    public Counter<long> Calls { get; }

    public Counter<long> Errors { get; }

    public Counter<long> SlowClientDisconnects { get; }

    public Counter<long> Refused { get; }

    public Histogram<long> SendQueuePeakBytes { get; }
}
