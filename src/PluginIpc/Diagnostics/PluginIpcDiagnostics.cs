namespace PluginIpc;

/// <summary>The names under which PluginIpc publishes its metrics and traces, for configuring listeners such as OpenTelemetry.</summary>
/// <remarks>
/// <para>
/// The <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="MeterName"/> has these instruments:
/// <c>pluginipc.calls</c> (counter of requests, tagged <c>pluginipc.channel</c>, <c>pluginipc.direction</c> = <c>client</c> or
/// <c>server</c>, and <c>pluginipc.outcome</c> = <c>ok</c> or <c>error</c>), <c>pluginipc.errors</c> (counter of failed requests,
/// also tagged <c>error.type</c> = <c>remote</c>, <c>timeout</c>, <c>cancelled</c>, <c>closed</c>, <c>protocol</c> or <c>other</c>),
/// <c>pluginipc.call.duration</c> (histogram in seconds, tagged like <c>pluginipc.calls</c>), <c>pluginipc.restarts</c> (counter,
/// tagged <c>pluginipc.plugin</c>), and <c>pluginipc.bytes.sent</c> / <c>pluginipc.bytes.received</c> (counters of wire bytes,
/// tagged <c>pluginipc.channel</c>). Commands are never metric tags, so cardinality stays bounded by the number of channels;
/// pings (<c>cmd.ping</c>) are not counted.
/// </para>
/// <para>
/// The <see cref="System.Diagnostics.ActivitySource"/> named <see cref="ActivitySourceName"/> starts one activity per request sent
/// (kind <see cref="System.Diagnostics.ActivityKind.Client"/>) and per request handled (kind
/// <see cref="System.Diagnostics.ActivityKind.Server"/>). The caller sends the W3C trace context in the chunk headers
/// <c>traceparent</c> and <c>tracestate</c>, and the handler's activity continues that trace. Only the <c>msgpack</c> framing carries
/// headers: over <c>text</c> the trace does not cross the process boundary. When a request carries a <c>traceparent</c> but nobody
/// listens on the receiving side, the handler still runs under an (unrecorded) activity with that parent, so that calls it makes
/// carry the trace on.
/// </para>
/// </remarks>
public static class PluginIpcDiagnostics
{
    /// <summary>The name of PluginIpc's <see cref="System.Diagnostics.Metrics.Meter"/>.</summary>
    public const string MeterName = "PluginIpc";

    /// <summary>The name of PluginIpc's <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "PluginIpc";
}
