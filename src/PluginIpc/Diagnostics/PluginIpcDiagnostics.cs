namespace PluginIpc;

/// <summary>The names under which PluginIpc publishes its metrics and traces, for configuring listeners such as OpenTelemetry.</summary>
/// <remarks>
/// <para>
/// Names follow the OpenTelemetry RPC semantic conventions where they apply (rpc.system, rpc.service, rpc.method). The
/// <see cref="System.Diagnostics.Metrics.Meter"/> named <see cref="MeterName"/> is created by the
/// <see cref="System.Diagnostics.Metrics.IMeterFactory"/> of <see cref="ChannelOptions.MeterFactory"/>,
/// <see cref="PluginOptions.MeterFactory"/> or <see cref="MainOptions.MeterFactory"/> when one is set (one meter per factory),
/// else it is the library's static meter. Its instruments:
/// </para>
/// <list type="bullet">
/// <item><description><c>rpc.client.call.duration</c> and <c>rpc.server.call.duration</c>: histograms in seconds of requests
/// sent (from sending to the answer) and handled (from dispatch to the answer). Tags: <c>rpc.system</c> = <c>pluginipc</c>,
/// <c>rpc.method</c>, <c>rpc.service</c> (the channel's name: the plugin's name for <see cref="Plugin"/> and
/// <see cref="Main"/>) and, on failure only, <c>error.type</c>.</description></item>
/// <item><description><c>pluginipc.channel.io</c>: counter of wire bytes, tagged <c>rpc.service</c> and
/// <c>network.io.direction</c> = <c>transmit</c> or <c>receive</c>.</description></item>
/// <item><description><c>pluginipc.plugin.restarts</c>: counter of plugin processes restarted after a failure, tagged
/// <c>rpc.service</c>.</description></item>
/// </list>
/// <para>
/// Tag values stay bounded whatever a peer sends. A handled request's <c>rpc.method</c> is its command only when a handler is
/// registered for exactly that command, else <c>_OTHER</c> (the fallback handler answers any command). A sent request's
/// <c>rpc.method</c> is its command for the first 1,000 distinct commands a meter sees, then <c>_OTHER</c>. <c>error.type</c> is
/// the error code of an error answer (the library's <see cref="ErrorCodes"/>, and up to 100 others per meter, then
/// <c>_OTHER</c>), or, for a call that got no answer, <c>timeout</c>, <c>cancelled</c>, <c>closed</c> or <c>protocol</c>
/// (<c>_OTHER</c> for anything else). A handler's failure is its answer's code: the <see cref="RemoteException"/>'s, or
/// <see cref="ErrorCodes.Cancelled"/> or <see cref="ErrorCodes.HandlerError"/>. Pings (<c>cmd.ping</c>) are not measured.
/// </para>
/// <para>
/// The <see cref="System.Diagnostics.ActivitySource"/> named <see cref="ActivitySourceName"/> starts one activity per request
/// sent (kind <see cref="System.Diagnostics.ActivityKind.Client"/>, operation <c>PluginIpc.Call</c>) and per request handled
/// (kind <see cref="System.Diagnostics.ActivityKind.Server"/>, operation <c>PluginIpc.Handle</c>). Its display name, the span
/// name, is its <c>rpc.method</c>, or <c>pluginipc</c> when that is <c>_OTHER</c>; its tags are those of the durations, given
/// at creation so that samplers see them, plus <c>rpc.method_original</c> (the command) when <c>rpc.method</c> is
/// <c>_OTHER</c>. A failed request's activity has status <see cref="System.Diagnostics.ActivityStatusCode.Error"/> and tag
/// <c>error.type</c>.
/// </para>
/// <para>
/// The caller sends the W3C trace context in the chunk headers <c>traceparent</c> and <c>tracestate</c>, and the handler's
/// activity continues that trace. Only the <c>msgpack</c> framing carries headers: over <c>text</c> the trace does not cross
/// the process boundary. When a request carries a <c>traceparent</c> but nobody listens on the receiving side, the handler
/// still runs under an (unrecorded) activity with that parent, so that calls it makes carry the trace on.
/// </para>
/// <para>
/// While nothing listens, nothing is measured or recorded and a call allocates nothing for it; only a trace to continue (a
/// current activity when sending, a <c>traceparent</c> when handling) costs a copy of the headers or an unrecorded activity.
/// </para>
/// </remarks>
public static class PluginIpcDiagnostics
{
    /// <summary>The name of PluginIpc's <see cref="System.Diagnostics.Metrics.Meter"/>, whether static or created by an <see cref="System.Diagnostics.Metrics.IMeterFactory"/>.</summary>
    public const string MeterName = "PluginIpc";

    /// <summary>The name of PluginIpc's <see cref="System.Diagnostics.ActivitySource"/>.</summary>
    public const string ActivitySourceName = "PluginIpc";
}
