using System.Threading.Channels;
using BusQueue = System.Threading.Channels.Channel<PluginIpc.BusEnvelope>;
using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>
/// One handler subscribed in this process: a bounded queue that publishers add to without waiting, and a pump that runs the
/// handler for one message at a time, in order.
/// </summary>
internal sealed class LocalSubscription : IAsyncDisposable
{
    private readonly BusQueue _queue;
    private readonly BusHandler _handler;
    private readonly IPluginSerializer _serializer;
    private readonly Func<LocalSubscription, ValueTask> _unsubscribe;
    private readonly PluginIpcMetrics _metrics;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop = new();
    private readonly GapTracker _gaps = new();
    private readonly string _owner;
    private int _disposed;

    // owner: who its drops are counted for (pluginipc.bus.subscriber): "host", or the plugin's name in a plugin.
    public LocalSubscription(string topic, bool isPattern, BusHandler handler, PluginBusOptions options, IPluginSerializer serializer, Func<LocalSubscription, ValueTask> unsubscribe, PluginIpcMetrics metrics, ILogger logger, string owner)
    {
        _owner = owner;
        Topic = topic;
        Pattern = isPattern ? new TopicPattern(topic) : null;
        _handler = handler;
        _serializer = serializer;
        _unsubscribe = unsubscribe;
        _metrics = metrics;
        _logger = logger;
        var queueOptions = new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = options.DropPolicy == BusDropPolicy.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        };
        _queue = System.Threading.Channels.Channel.CreateBounded<BusEnvelope>(queueOptions, OnDropped);
        _ = Task.Run(PumpAsync); // never faults
    }

    /// <summary>Gets the topic, or the pattern's text.</summary>
    public string Topic { get; }

    /// <summary>Gets the pattern, or <see langword="null"/> for an exact topic.</summary>
    public TopicPattern? Pattern { get; }

    public bool Matches(string topic) => Pattern?.IsMatch(topic) ?? string.Equals(Topic, topic, StringComparison.Ordinal);

    /// <summary>Queues a message or request without waiting; a full queue loses one message, per the drop policy.</summary>
    /// <returns><see langword="false"/> when the subscription has ended.</returns>
    public bool Offer(BusEnvelope envelope) => _queue.Writer.TryWrite(envelope);

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
            _queue.Writer.TryComplete();

            // The handler's token fires, but the pump is not awaited: a handler that ignores its token must not hold the unsubscribe.
            await _stop.CancelAsync().ConfigureAwait(false);
            while (_queue.Reader.TryRead(out BusEnvelope? left))
            {
                left.Reply?.Complete(); // a request still queued is passed on
            }
        }
    }

    private void OnDropped(BusEnvelope envelope)
    {
        if (envelope.Reply is { } reply)
        {
            reply.Complete(); // no room: the request goes to the next subscriber
            return;
        }

        _gaps.Dropped(envelope);

        _metrics.RecordBusDropped(_owner);
    }

    private async Task PumpAsync()
    {
        CancellationToken stop = _stop.Token;
        try
        {
            while (await _queue.Reader.WaitToReadAsync(stop).ConfigureAwait(false))
            {
                long delivered = 0;
                while (_queue.Reader.TryRead(out BusEnvelope? envelope))
                {
                    // No state machine per message: a handler that completes at once (the usual case) is not awaited.
                    ValueTask handling = Handle(envelope, stop);
                    if (handling.IsCompletedSuccessfully)
                    {
                        envelope.Reply?.Complete();
                        delivered++;
                    }
                    else if (await CompleteAsync(handling, envelope, stop).ConfigureAwait(false))
                    {
                        delivered++;
                    }
                }

                if (delivered > 0)
                {
                    _metrics.BusDelivered.Add(delivered);
                }
            }
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            // unsubscribed
        }
    }

    private ValueTask Handle(BusEnvelope envelope, CancellationToken stop)
    {
        try
        {
            return _handler(new BusMessage(envelope, _gaps.Missed(envelope), _serializer), stop);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>Waits for a handler; returns whether it handled the message (a failure is logged, or fails the request).</summary>
    private async ValueTask<bool> CompleteAsync(ValueTask handling, BusEnvelope envelope, CancellationToken stop)
    {
        try
        {
            await handling.ConfigureAwait(false);
            envelope.Reply?.Complete();
            return true;
        }
        catch (OperationCanceledException) when (stop.IsCancellationRequested)
        {
            envelope.Reply?.Complete(); // unsubscribed while handling: the request is passed on
            return false;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (envelope.Reply is { } reply)
            {
                reply.Fail(ex);
            }
            else if (!stop.IsCancellationRequested)
            {
                BusLog.HandlerFailed(_logger, envelope.Topic, ex);
            }

            return false;
        }
    }
}
