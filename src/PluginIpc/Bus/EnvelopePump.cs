using System.Threading.Channels;
using BusQueue = System.Threading.Channels.Channel<PluginIpc.BusEnvelope>;

namespace PluginIpc;

/// <summary>
/// A subscriber's bounded queue, which publishers add to without waiting (a full queue loses a message per the drop policy),
/// and the one pump that takes messages out in order and processes them: a handler's (<see cref="LocalSubscription"/>) or a
/// plugin's at its host (<see cref="PluginBusLink"/>).
/// </summary>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The source holds no timer; StopAsync cancels it, and the pump that may still read its token is not awaited.")]
internal abstract class EnvelopePump
{
    private readonly BusQueue _queue;
    private readonly long _maxQueuedBytes;
    private readonly PluginIpcMetrics _metrics;
    private long _queuedBytes;
    private readonly CancellationTokenSource _stop = new();
    private Task _pump = Task.CompletedTask;

    protected EnvelopePump(PluginBusOptions options, PluginIpcMetrics metrics)
    {
        _metrics = metrics;
        var queueOptions = new BoundedChannelOptions(options.QueueCapacity)
        {
            FullMode = options.DropPolicy == BusDropPolicy.DropOldest ? BoundedChannelFullMode.DropOldest : BoundedChannelFullMode.DropWrite,
            SingleReader = true,
        };
        _maxQueuedBytes = options.QueueCapacityBytes;
        _queue = System.Threading.Channels.Channel.CreateBounded<BusEnvelope>(queueOptions, dropped =>
        {
            Dequeued(dropped);
            OnDropped(dropped);
        });
    }

    /// <summary>
    /// Queues a message or request without waiting; a full queue loses one message, per the drop policy. Past the queue's
    /// bytes it loses this one, whatever the policy: the queue's reader alone may take the oldest out.
    /// </summary>
    /// <returns><see langword="false"/> when the pump has stopped.</returns>
    public virtual bool Offer(BusEnvelope envelope)
    {
        long size = envelope.Payload.Length;
        if (size > 0)
        {
            long queued = Interlocked.Add(ref _queuedBytes, size);
            if (queued > _maxQueuedBytes && queued != size) // one message larger than the bound still goes into an empty queue
            {
                Interlocked.Add(ref _queuedBytes, -size);
                OnDropped(envelope);
                return true;
            }
        }

        if (_queue.Writer.TryWrite(envelope))
        {
            return true;
        }

        Dequeued(envelope);
        return false;
    }

    /// <summary>Starts the pump; the last step of a derived constructor.</summary>
    protected void Start() => _pump = Task.Run(PumpAsync);

    /// <summary>Processes one message; a task that completes at once costs no state machine.</summary>
    protected abstract ValueTask Process(BusEnvelope envelope, CancellationToken stop);

    /// <summary>Called when <see cref="Process"/> succeeded.</summary>
    protected virtual void OnProcessed(BusEnvelope envelope)
    {
    }

    /// <summary>Called when <see cref="Process"/> failed; <paramref name="stop"/> tells whether the pump is stopping.</summary>
    protected abstract void OnFailed(BusEnvelope envelope, Exception failure, CancellationToken stop);

    /// <summary>Called for a message the full queue dropped (on the publisher's thread).</summary>
    protected abstract void OnDropped(BusEnvelope envelope);

    /// <summary>Called, when the pump stops, for each message still queued.</summary>
    protected virtual void OnLeftOver(BusEnvelope envelope)
    {
    }

    /// <summary>Stops the pump: no more messages are taken, the running one's token fires, the rest go to <see cref="OnLeftOver"/>.</summary>
    /// <param name="waitForPump">Whether to wait for the message being processed; a handler that ignores its token could hold that wait.</param>
    protected async ValueTask StopAsync(bool waitForPump)
    {
        _queue.Writer.TryComplete();
        await _stop.CancelAsync().ConfigureAwait(false);
        if (waitForPump)
        {
            await _pump.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        while (_queue.Reader.TryRead(out BusEnvelope? left))
        {
            OnLeftOver(left);
        }
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
                    Dequeued(envelope);

                    // No state machine per message: processing that completes at once (the usual case) is not awaited.
                    ValueTask processing = Start(envelope, stop);
                    if (processing.IsCompletedSuccessfully)
                    {
                        OnProcessed(envelope);
                        delivered++;
                    }
                    else if (await CompleteAsync(processing, envelope, stop).ConfigureAwait(false))
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
            // stopped
        }
    }

    private void Dequeued(BusEnvelope envelope)
    {
        if (envelope.Payload.Length > 0)
        {
            Interlocked.Add(ref _queuedBytes, -envelope.Payload.Length);
        }
    }

    private ValueTask Start(BusEnvelope envelope, CancellationToken stop)
    {
        try
        {
            return Process(envelope, stop);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return ValueTask.FromException(ex);
        }
    }

    /// <summary>Waits for processing that did not complete at once; returns whether it succeeded.</summary>
    private async ValueTask<bool> CompleteAsync(ValueTask processing, BusEnvelope envelope, CancellationToken stop)
    {
        try
        {
            await processing.ConfigureAwait(false);
            OnProcessed(envelope);
            return true;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            OnFailed(envelope, ex, stop);
            return false;
        }
    }
}
