using System.Diagnostics.Metrics;
using System.Runtime.CompilerServices;

namespace PluginIpc;

/// <summary>
/// The instruments of one <see cref="Meter"/> named <see cref="PluginIpcDiagnostics.MeterName"/>: the library's static one
/// (<see cref="Default"/>), or one per <see cref="IMeterFactory"/> (<see cref="For"/>); see <see cref="PluginIpcDiagnostics"/> for what they record.
/// </summary>
/// <remarks>Thread safe. Channels and plugins that share a meter share one instance, and so its bounds on attribute values.</remarks>
internal sealed class PluginIpcMetrics
{
    /// <summary>How many distinct commands a meter's client durations report as <c>rpc.method</c>; later ones are <c>_OTHER</c>.</summary>
    public const int MaxClientMethods = 1000;

    /// <summary>How many distinct error codes, other than the library's own, a meter reports as <c>error.type</c>; later ones are <c>_OTHER</c>.</summary>
    public const int MaxErrorCodes = 100;

    private static readonly string? s_version = typeof(PluginIpcMetrics).Assembly.GetName().Version?.ToString();
    private static readonly ConditionalWeakTable<IMeterFactory, PluginIpcMetrics> s_byFactory = [];
    private static readonly ConditionalWeakTable<IMeterFactory, PluginIpcMetrics>.CreateValueCallback s_create =
        static factory => new PluginIpcMetrics(factory.Create(new MeterOptions(PluginIpcDiagnostics.MeterName) { Version = s_version }));

    /// <summary>
    /// Bucket boundaries in seconds: the conventions' advice (5 ms to 10 s), below it the sub-millisecond buckets where local
    /// calls land, and 30 s for calls that wait out the default timeout.
    /// </summary>
    private static readonly InstrumentAdvice<double> s_durationAdvice = new()
    {
        HistogramBucketBoundaries = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 2.5, 5, 7.5, 10, 30],
    };

    private readonly BoundedNameSet _clientMethods = new(MaxClientMethods);
    private readonly BoundedNameSet _errorCodes = new(MaxErrorCodes);

    private PluginIpcMetrics(Meter meter)
    {
        Meter = meter;
        ClientCallDuration = meter.CreateHistogram(
            TelemetryNames.ClientCallDuration,
            "s",
            "Measures the duration of outgoing requests, from sending to the answer.",
            tags: null,
            advice: s_durationAdvice);
        ServerCallDuration = meter.CreateHistogram(
            TelemetryNames.ServerCallDuration,
            "s",
            "Measures the duration of incoming requests, from their dispatch to the answer.",
            tags: null,
            advice: s_durationAdvice);
        ChannelIo = meter.CreateCounter<long>(TelemetryNames.ChannelIo, "By", "Wire bytes written to and read from channels.");
        PluginRestarts = meter.CreateCounter<long>(TelemetryNames.PluginRestarts, "{restart}", "Plugin processes restarted after a failure.");
        BusPublished = meter.CreateCounter<long>(TelemetryNames.BusPublished, "{message}", "Messages published on this side's bus.");
        BusDelivered = meter.CreateCounter<long>(TelemetryNames.BusDelivered, "{message}", "Bus messages handed to a subscriber's handler, or sent to a subscribed plugin.");
        BusDropped = meter.CreateCounter<long>(TelemetryNames.BusDropped, "{message}", "Bus messages a subscriber lost: its queue was full, or its plugin could not take them.");
    }

    /// <summary>Gets the instruments of the library's static meter, for channels and plugins given no <see cref="IMeterFactory"/>.</summary>
    public static PluginIpcMetrics Default { get; } = new(new Meter(PluginIpcDiagnostics.MeterName, s_version));

    /// <summary>Gets the meter the instruments belong to.</summary>
    public Meter Meter { get; }

    public Histogram<double> ClientCallDuration { get; }

    public Histogram<double> ServerCallDuration { get; }

    public Counter<long> ChannelIo { get; }

    public Counter<long> PluginRestarts { get; }

    public Counter<long> BusPublished { get; }

    public Counter<long> BusDelivered { get; }

    public Counter<long> BusDropped { get; }

    /// <summary>Returns the instruments of the meter <paramref name="factory"/> creates, the same for every call with that factory; <see cref="Default"/> for none.</summary>
    public static PluginIpcMetrics For(IMeterFactory? factory) => factory is null ? Default : s_byFactory.GetValue(factory, s_create);

    /// <summary>Returns what a client duration reports as <c>rpc.method</c> for <paramref name="cmd"/>: the command, or <c>_OTHER</c> once <see cref="MaxClientMethods"/> others were seen.</summary>
    public string ClientMethod(string cmd) => _clientMethods.Resolve(cmd);

    /// <summary>Returns what <c>error.type</c> says of <paramref name="failure"/>; bounded whatever codes a peer sends.</summary>
    public string ErrorType(Exception failure) => failure switch
    {
        RemoteException remote => ErrorCode(remote.Code),
        TimeoutException => "timeout",
        OperationCanceledException => "cancelled",
        ChannelClosedException => "closed",
        ProtocolException => "protocol",
        _ => TelemetryNames.Other,
    };

    /// <summary>Returns what <c>error.type</c> says of a handler's <paramref name="failure"/>: the code of the error answer it causes.</summary>
    /// <param name="failure">What the handler threw.</param>
    /// <param name="cancelled">Whether the request was cancelled: its handler's <see cref="OperationCanceledException"/> is then answered <see cref="ErrorCodes.Cancelled"/>.</param>
    public string HandlerErrorType(Exception failure, bool cancelled) => failure switch
    {
        RemoteException remote => ErrorCode(remote.Code),
        _ when cancelled => ErrorCodes.Cancelled,
        _ => ErrorCodes.HandlerError,
    };

    /// <summary>Records a restart of the plugin named <paramref name="plugin"/>.</summary>
    public void RecordRestart(string plugin)
    {
        if (PluginRestarts.Enabled)
        {
            PluginRestarts.Add(1, new KeyValuePair<string, object?>(TelemetryNames.ServiceAttribute, plugin));
        }
    }

    /// <summary>Records a bus message lost by <paramref name="subscriber"/> (a plugin's name, or <c>host</c> for the host's own handlers).</summary>
    public void RecordBusDropped(string subscriber)
    {
        if (BusDropped.Enabled)
        {
            BusDropped.Add(1, new KeyValuePair<string, object?>(TelemetryNames.BusSubscriberAttribute, subscriber));
        }
    }

    private string ErrorCode(string code) => code switch
    {
        ErrorCodes.UnknownCommand => ErrorCodes.UnknownCommand,
        ErrorCodes.HandlerError => ErrorCodes.HandlerError,
        ErrorCodes.Cancelled => ErrorCodes.Cancelled,
        ErrorCodes.ShuttingDown => ErrorCodes.ShuttingDown,
        ErrorCodes.PayloadTooLarge => ErrorCodes.PayloadTooLarge,
        ErrorCodes.InvalidRequest => ErrorCodes.InvalidRequest,
        ErrorCodes.RemoteError => ErrorCodes.RemoteError,
        _ => _errorCodes.Resolve(code),
    };
}
