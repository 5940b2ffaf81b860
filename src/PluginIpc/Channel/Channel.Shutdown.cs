namespace PluginIpc;

/// <content>
/// Closing: draining in-flight work, failing what is left with the first cause, and releasing the transport.
/// </content>
public sealed partial class Channel
{
    /// <summary>Closes the channel because reading or writing failed, with the best reason <see cref="CloseReasonResolver"/> finds.</summary>
    private async Task FailAsync(Exception failure)
    {
        if (CloseReasonResolver is { } resolver && Volatile.Read(ref _shutdownStarted) == 0)
        {
            try
            {
                failure = await resolver(failure).WaitAsync(s_readLoopExitTimeout).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
            {
                // Keep the reason we have.
            }
        }

        await ShutdownAsync(failure).ConfigureAwait(false);
    }

    private void CheckDrained()
    {
        if (Volatile.Read(ref _state) == Closing
            && _pending.Count == 0
            && Volatile.Read(ref _activeHandlers) == 0
            && _handlerSlots.Available == _options.MaxConcurrentHandlers) // requests handled inline hold a slot only
        {
            _drained.TrySetResult();
        }
    }

    private async Task ShutdownAsync(Exception? reason)
    {
        if (Interlocked.Exchange(ref _shutdownStarted, 1) != 0)
        {
            await _completion.Task.ConfigureAwait(false);
            return;
        }

        Volatile.Write(ref _closeReason, reason);
        Volatile.Write(ref _state, Closed);
        ChannelLog.Closed(_logger, Name, reason?.Message ?? "closed by this side");

        ChannelClosedException failure = reason switch
        {
            null => new ChannelClosedException($"Channel '{Name}' was closed before the answer came."),
            ChannelClosedException closed => closed,
            _ => new ChannelClosedException($"Channel '{Name}' closed before the answer came: {reason.Message}", reason),
        };
        foreach (PendingCall call in _pending.RemoveAll())
        {
            call.SetException(failure);
        }

        foreach (IncomingRequest request in _incoming.Snapshot())
        {
            request.Cancel();
        }

        Volatile.Read(ref _inlineRequest)?.Cancel(); // A handler running inline, outside the table (a no-op once it ended)

        try
        {
            await _lifetime.CancelAsync().ConfigureAwait(false);
        }
        catch (AggregateException)
        {
            // A handler's cancellation callback threw; the handler reports its own failure.
        }

        _oneWays?.Complete();
        _guard.Dispose();
        _timeouts.Dispose();
        await _writer.CompleteAsync(reason).ConfigureAwait(false);
        if (_readLoop is null)
        {
            await _input.CompleteAsync().ConfigureAwait(false);
        }
        else
        {
            _input.CancelPendingRead();
        }

        foreach (Stream stream in _ownedStreams)
        {
            try
            {
                await stream.DisposeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException)
            {
                // Closing a broken transport.
            }
        }

        _completion.TrySetResult();
    }
}
