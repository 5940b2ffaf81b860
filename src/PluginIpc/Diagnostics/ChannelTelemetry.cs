using System.Diagnostics;
using System.Diagnostics.Metrics;
using System.IO.Pipelines;

namespace PluginIpc;

/// <summary>The metrics and activities of channels and plugins; see <see cref="PluginIpcDiagnostics"/> for what is published.</summary>
/// <remarks>
/// Every entry point first checks whether anything listens (<see cref="ActivitySource.HasListeners"/>,
/// <see cref="Instrument.Enabled"/>), so that a channel nobody observes pays a few field reads and allocates nothing.
/// Thread safe.
/// </remarks>
internal static partial class ChannelTelemetry
{
    internal const string TraceParentHeader = "traceparent";
    internal const string TraceStateHeader = "tracestate";
    internal const string CallActivityName = "PluginIpc.Call";
    internal const string HandleActivityName = "PluginIpc.Handle";

    private const string ChannelTag = "pluginipc.channel";
    private const string DirectionTag = "pluginipc.direction";
    private const string OutcomeTag = "pluginipc.outcome";
    private const string ErrorTypeTag = "error.type";
    private const string PluginTag = "pluginipc.plugin";
    private const string CmdTag = "pluginipc.cmd";

    private static readonly string? s_version = typeof(ChannelTelemetry).Assembly.GetName().Version?.ToString();
    private static readonly ActivitySource s_source = new(PluginIpcDiagnostics.ActivitySourceName, s_version);
    private static readonly Meter s_meter = new(PluginIpcDiagnostics.MeterName, s_version);

    private static readonly Counter<long> s_calls = s_meter.CreateCounter<long>(
        "pluginipc.calls", "{call}", "Requests sent (client) and handled (server).");

    private static readonly Counter<long> s_errors = s_meter.CreateCounter<long>(
        "pluginipc.errors", "{error}", "Requests that failed: an error answer, a timeout, a cancellation or a closed channel.");

    private static readonly Histogram<double> s_duration = s_meter.CreateHistogram(
        "pluginipc.call.duration",
        "s",
        "How long requests took, from sending to the answer (client) or from dispatch to the answer (server).",
        tags: null,
        advice: new InstrumentAdvice<double> { HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30] });

    private static readonly Counter<long> s_restarts = s_meter.CreateCounter<long>(
        "pluginipc.restarts", "{restart}", "Plugin processes restarted after a failure.");

    private static readonly Counter<long> s_bytesSent = s_meter.CreateCounter<long>(
        "pluginipc.bytes.sent", "By", "Wire bytes written to channels.");

    private static readonly Counter<long> s_bytesReceived = s_meter.CreateCounter<long>(
        "pluginipc.bytes.received", "By", "Wire bytes read from channels.");

    /// <summary>Starts the telemetry of an outgoing request and adds the trace context to its headers.</summary>
    /// <param name="channel">The channel's name.</param>
    /// <param name="cmd">The request's command.</param>
    /// <param name="headers">The request's headers; replaced by a copy that carries <c>traceparent</c> when there is a trace to continue.</param>
    /// <returns>The scope to end with <see cref="CallScope.Stop"/>; inactive when nothing listens.</returns>
    public static CallScope StartCall(string channel, string cmd, ref IReadOnlyDictionary<string, string>? headers)
    {
        if (cmd == Commands.Ping)
        {
            return default;
        }

        Activity? activity = null;
        if (s_source.HasListeners())
        {
            Activity? callers = Activity.Current;
            activity = s_source.StartActivity(CallActivityName, ActivityKind.Client);
            if (activity is not null)
            {
                activity.DisplayName = cmd;
                activity.SetTag(ChannelTag, channel);
                activity.SetTag(CmdTag, cmd);
                Activity.Current = callers; // The call's activity is its own: the caller's code goes on under the caller's.
            }
        }

        if ((activity ?? Activity.Current) is { IdFormat: ActivityIdFormat.W3C } context)
        {
            headers = AddTraceContext(headers, context);
        }

        bool measure = s_calls.Enabled || s_duration.Enabled || s_errors.Enabled;
        return measure || activity is not null ? new CallScope(channel, activity, measure) : default;
    }

    /// <summary>Starts the telemetry of a request this side handles, continuing the trace its headers carry.</summary>
    /// <param name="channel">The channel's name.</param>
    /// <param name="chunk">The request or one-way message; only requests other than pings are observed.</param>
    /// <returns>The scope to end with <see cref="CallScope.Stop"/>; inactive when nothing listens and no trace comes in. Its activity is current from here on.</returns>
    public static CallScope StartHandler(string channel, Chunk chunk)
    {
        if (chunk.Direction != Direction.Request || chunk.Cmd == Commands.Ping)
        {
            return default;
        }

        string? traceParent = null;
        string? traceState = null;
        if (chunk.Headers is { Count: > 0 } headers)
        {
            headers.TryGetValue(TraceParentHeader, out traceParent);
            headers.TryGetValue(TraceStateHeader, out traceState);
        }

        Activity? activity = null;
        if (s_source.HasListeners())
        {
            ActivityContext.TryParse(traceParent, traceState, isRemote: true, out ActivityContext parent);
            activity = s_source.StartActivity(HandleActivityName, ActivityKind.Server, parent);
            if (activity is not null)
            {
                activity.DisplayName = chunk.Cmd;
                activity.SetTag(ChannelTag, channel);
                activity.SetTag(CmdTag, chunk.Cmd);
            }
        }

        if (activity is null && traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out _))
        {
            // Nobody records here, but the caller traces: carry its context on to the calls the handler makes.
            activity = new Activity(HandleActivityName);
            activity.SetParentId(traceParent);
            activity.TraceStateString = traceState;
            activity.Start();
        }

        bool measure = s_calls.Enabled || s_duration.Enabled || s_errors.Enabled;
        return measure || activity is not null ? new CallScope(channel, activity, measure, server: true) : default;
    }

    /// <summary>Records <paramref name="bytes"/> framed for sending.</summary>
    public static void RecordSent(string? channel, long bytes)
    {
        if (bytes > 0 && s_bytesSent.Enabled)
        {
            s_bytesSent.Add(bytes, new KeyValuePair<string, object?>(ChannelTag, channel));
        }
    }

    /// <summary>Records <paramref name="bytes"/> consumed by the channel's reader.</summary>
    public static void RecordReceived(string channel, long bytes)
    {
        if (bytes > 0 && s_bytesReceived.Enabled)
        {
            s_bytesReceived.Add(bytes, new KeyValuePair<string, object?>(ChannelTag, channel));
        }
    }

    /// <summary>Records a restart of the plugin named <paramref name="plugin"/>.</summary>
    public static void RecordRestart(string plugin) => s_restarts.Add(1, new KeyValuePair<string, object?>(PluginTag, plugin));

    private static Dictionary<string, string> AddTraceContext(IReadOnlyDictionary<string, string>? headers, Activity context)
    {
        var copy = new Dictionary<string, string>(headers?.Count + 2 ?? 2, StringComparer.Ordinal);
        if (headers is not null)
        {
            foreach (KeyValuePair<string, string> header in headers)
            {
                copy[header.Key] = header.Value;
            }
        }

        // A caller that set its own trace context keeps it.
        if (copy.TryAdd(TraceParentHeader, context.Id!) && context.TraceStateString is { Length: > 0 } traceState)
        {
            copy.TryAdd(TraceStateHeader, traceState);
        }

        return copy;
    }

    private static string ErrorType(Exception exception) => exception switch
    {
        RemoteException => "remote",
        TimeoutException => "timeout",
        OperationCanceledException => "cancelled",
        ChannelClosedException => "closed",
        ProtocolException => "protocol",
        _ => "other",
    };
}
