using System.Diagnostics.Metrics;

namespace PluginIpc;

/// <summary>The relay's counters, on the meter named <see cref="PluginIpcDiagnostics.MeterName"/> (the same the core uses).</summary>
internal sealed class RedisBusMetrics
{
    private static readonly string? s_version = typeof(PluginBusRelay).Assembly.GetName().Version?.ToString();
    private static readonly Lazy<Meter> s_static = new(() => new Meter(PluginIpcDiagnostics.MeterName, s_version));

    public RedisBusMetrics(IMeterFactory? factory)
    {
        // Same name and version as the core's meter: a factory hands out that very meter, so listeners see one "PluginIpc".
        Meter meter = factory?.Create(new MeterOptions(PluginIpcDiagnostics.MeterName) { Version = s_version }) ?? s_static.Value;
        Sent = meter.CreateCounter<long>("pluginipc.bus.relay.sent", "{message}", "Bus messages this host published to other hosts through Redis.");
        Received = meter.CreateCounter<long>("pluginipc.bus.relay.received", "{message}", "Bus messages received from Redis, this host's own included (the bus drops those).");
        Lost = meter.CreateCounter<long>("pluginipc.bus.relay.lost", "{message}", "Bus messages for other hosts that were lost: dropped from a full buffer, or not confirmed by Redis before a connection failed.");
    }

    public Counter<long> Sent { get; }

    public Counter<long> Received { get; }

    public Counter<long> Lost { get; }
}
