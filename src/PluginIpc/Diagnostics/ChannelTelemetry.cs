using System.Diagnostics;

namespace PluginIpc;

/// <summary>The metrics and activities of one channel; see <see cref="PluginIpcDiagnostics"/> for what is published.</summary>
/// <remarks>
/// Every entry point first checks whether anything listens (<see cref="ActivitySource.HasListeners"/>,
/// <see cref="System.Diagnostics.Metrics.Instrument.Enabled"/>), so that a channel nobody observes pays a few field reads and
/// allocates nothing. Thread safe.
/// </remarks>
internal sealed partial class ChannelTelemetry
{
    internal const string TraceParentHeader = "traceparent";
    internal const string TraceStateHeader = "tracestate";

    private static readonly ActivitySource s_source = new(PluginIpcDiagnostics.ActivitySourceName, typeof(ChannelTelemetry).Assembly.GetName().Version?.ToString());
    private static readonly KeyValuePair<string, object?> s_systemNameTag = new(TelemetryNames.SystemAttribute, TelemetryNames.SystemName);
    private static readonly KeyValuePair<string, object?> s_transmitTag = new(TelemetryNames.IoDirectionAttribute, TelemetryNames.Transmit);
    private static readonly KeyValuePair<string, object?> s_receiveTag = new(TelemetryNames.IoDirectionAttribute, TelemetryNames.Receive);

    private readonly KeyValuePair<string, object?> _channelTag;

    /// <summary>Initializes the telemetry of the channel named <paramref name="channel"/>, recorded with <paramref name="metrics"/>.</summary>
    public ChannelTelemetry(string channel, PluginIpcMetrics metrics)
    {
        Channel = channel;
        Metrics = metrics;
        _channelTag = new KeyValuePair<string, object?>(TelemetryNames.ServiceAttribute, channel);
    }

    /// <summary>Gets the channel's name, the value of <c>rpc.service</c>.</summary>
    public string Channel { get; }

    /// <summary>Gets the instruments the channel records with.</summary>
    public PluginIpcMetrics Metrics { get; }

    /// <summary>Starts the telemetry of an outgoing request and adds the trace context to its headers.</summary>
    /// <param name="cmd">The request's command.</param>
    /// <param name="headers">The request's headers; replaced by a copy that carries <c>traceparent</c> when there is a trace to continue.</param>
    /// <returns>The scope to end with <see cref="CallScope.Stop"/>; inactive when nothing listens.</returns>
    public CallScope StartCall(string cmd, ref IReadOnlyDictionary<string, string>? headers)
    {
        if (cmd == Commands.Ping)
        {
            return default;
        }

        bool measure = Metrics.ClientCallDuration.Enabled;
        string? method = null;
        Activity? activity = null;
        if (s_source.HasListeners())
        {
            method = Metrics.ClientMethod(cmd);
            Activity? callers = Activity.Current;
            activity = StartActivity(TelemetryNames.CallActivityName, ActivityKind.Client, default, method, cmd);
            if (activity is not null)
            {
                Activity.Current = callers; // The call's activity is its own: the caller's code goes on under the caller's.
            }
        }

        if ((activity ?? Activity.Current) is { IdFormat: ActivityIdFormat.W3C } context)
        {
            headers = AddTraceContext(headers, context);
        }

        return measure || activity is not null ? new CallScope(this, activity, method ?? Metrics.ClientMethod(cmd), measure, server: false) : default;
    }

    /// <summary>Starts the telemetry of a request this side handles, continuing the trace its headers carry.</summary>
    /// <param name="chunk">The request or one-way message; only requests other than pings are observed.</param>
    /// <param name="methods">The commands the channel handles, to name the request's method when <paramref name="method"/> is not known yet.</param>
    /// <param name="method">Its <c>rpc.method</c>, if known.</param>
    /// <returns>The scope to end with <see cref="CallScope.Stop"/>; inactive when nothing listens and no trace comes in. Its activity is current from here on.</returns>
    public CallScope StartHandler(Chunk chunk, IRecognizedMethods methods, string? method = null)
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

        bool measure = Metrics.ServerCallDuration.Enabled;
        Activity? activity = null;
        if (s_source.HasListeners())
        {
            method ??= methods.MethodOf(chunk.Cmd);
            ActivityContext.TryParse(traceParent, traceState, isRemote: true, out ActivityContext parent);
            activity = StartActivity(TelemetryNames.HandleActivityName, ActivityKind.Server, parent, method, chunk.Cmd);
        }

        if (activity is null && traceParent is not null && ActivityContext.TryParse(traceParent, traceState, isRemote: true, out _))
        {
            // Nobody records here, but the caller traces: carry its context on to the calls the handler makes.
            activity = new Activity(TelemetryNames.HandleActivityName);
            activity.SetParentId(traceParent);
            activity.TraceStateString = traceState;
            activity.Start();
        }

        if (!measure && activity is null)
        {
            return default;
        }

        return new CallScope(this, activity, method ?? methods.MethodOf(chunk.Cmd), measure, server: true);
    }

    /// <summary>Records <paramref name="bytes"/> framed for sending.</summary>
    public void RecordSent(long bytes)
    {
        if (bytes > 0 && Metrics.ChannelIo.Enabled)
        {
            Metrics.ChannelIo.Add(bytes, _channelTag, s_transmitTag);
        }
    }

    /// <summary>Records <paramref name="bytes"/> consumed by the channel's reader.</summary>
    public void RecordReceived(long bytes)
    {
        if (bytes > 0 && Metrics.ChannelIo.Enabled)
        {
            Metrics.ChannelIo.Add(bytes, _channelTag, s_receiveTag);
        }
    }

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

    /// <summary>Starts an activity named and tagged after the RPC span conventions; the tags are given at creation, for samplers.</summary>
    private Activity? StartActivity(string operation, ActivityKind kind, ActivityContext parent, string method, string cmd)
    {
        bool recognized = !ReferenceEquals(method, TelemetryNames.Other);
        KeyValuePair<string, object?>[] tags = recognized
            ? [s_systemNameTag, new(TelemetryNames.MethodAttribute, method), _channelTag]
            : [s_systemNameTag, new(TelemetryNames.MethodAttribute, method), new(TelemetryNames.MethodOriginalAttribute, cmd), _channelTag];
        Activity? activity = s_source.StartActivity(operation, kind, parent, tags);
        if (activity is not null)
        {
            activity.DisplayName = recognized ? method : TelemetryNames.SystemName;
        }

        return activity;
    }
}
