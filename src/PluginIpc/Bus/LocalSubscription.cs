using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>
/// One handler subscribed in this process: a bounded queue that publishers add to without waiting, and a pump that runs the
/// handler for one message at a time, in order.
/// </summary>
internal sealed class LocalSubscription : EnvelopePump, IAsyncDisposable
{
    private readonly BusHandler _handler;
    private readonly IPluginSerializer _serializer;
    private readonly Func<LocalSubscription, ValueTask> _unsubscribe;
    private readonly PluginIpcMetrics _metrics;
    private readonly ILogger _logger;
    private readonly GapTracker _gaps = new();
    private readonly string _owner;
    private int _disposed;

    // owner: who its drops are counted for (pluginipc.bus.subscriber): "host", or the plugin's name in a plugin.
    public LocalSubscription(string topic, bool isPattern, BusHandler handler, PluginBusOptions options, IPluginSerializer serializer, Func<LocalSubscription, ValueTask> unsubscribe, PluginIpcMetrics metrics, ILogger logger, string owner)
        : base(options, metrics)
    {
        _owner = owner;
        Topic = topic;
        Pattern = isPattern ? new TopicPattern(topic) : null;
        _handler = handler;
        _serializer = serializer;
        _unsubscribe = unsubscribe;
        _metrics = metrics;
        _logger = logger;
        Start();
    }

    /// <summary>Gets the topic, or the pattern's text.</summary>
    public string Topic { get; }

    /// <summary>Gets the pattern, or <see langword="null"/> for an exact topic.</summary>
    public TopicPattern? Pattern { get; }

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await _unsubscribe(this).ConfigureAwait(false);
        }
        finally
        {
            // The handler's token fires, but the pump is not awaited: a handler that ignores its token must not hold the unsubscribe.
            await StopAsync(waitForPump: false).ConfigureAwait(false);
        }
    }

    public override bool Offer(BusEnvelope envelope)
    {
        _gaps.Offered(envelope);
        return base.Offer(envelope);
    }

    protected override ValueTask Process(BusEnvelope envelope, CancellationToken stop) =>
        _handler(new BusMessage(envelope, _gaps.Missed(envelope), _serializer), stop);

    protected override void OnProcessed(BusEnvelope envelope) => envelope.Reply?.Complete(); // no reply given: a decline

    protected override void OnFailed(BusEnvelope envelope, Exception failure, CancellationToken stop)
    {
        if (failure is OperationCanceledException && stop.IsCancellationRequested)
        {
            envelope.Reply?.Complete(); // unsubscribed while handling: the request is passed on
        }
        else if (envelope.Reply is { } reply)
        {
            reply.Fail(failure);
        }
        else if (!stop.IsCancellationRequested)
        {
            BusLog.HandlerFailed(_logger, envelope.Topic, failure);
        }
    }

    protected override void OnDropped(BusEnvelope envelope)
    {
        if (envelope.Reply is { } reply)
        {
            reply.Complete(); // no room: the request goes to the next subscriber
            return;
        }

        _metrics.RecordBusDropped(_owner);
    }

    protected override void OnLeftOver(BusEnvelope envelope) => envelope.Reply?.Complete(); // a request still queued is passed on
}
