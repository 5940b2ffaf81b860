using System.Buffers;
using System.IO.Pipelines;

namespace PluginIpc;

/// <content>
/// The read loop: reading, framing and dispatching what the other side sends, under the inline dispatch guard and the backlog limits.
/// </content>
public sealed partial class Channel
{
    /// <summary>Reads and dispatches what the other side sends, until the input ends or fails or the channel closes.</summary>
    /// <param name="resume">Go on with the read another loop left when the inline dispatch guard took reading from it.</param>
    private async Task ReadLoopAsync(bool resume)
    {
        Exception? failure = null;
        try
        {
            while (true)
            {
                if (!resume || _readUsedUp)
                {
                    _readUsedUp = false;
                    _readResult = await _input.ReadAsync().ConfigureAwait(false);
                    _unread = _readResult.Buffer;
                }

                resume = false;
                if (!DispatchUnread(out bool backlogFull))
                {
                    return; // Code run inline held this loop too long: another loop reads from here on.
                }

                if (backlogFull)
                {
                    // Too much waits for its handlers: read nothing more until half of it has started, then dispatch the rest of this read.
                    await _backlog.WaitForRoomAsync(_lifetime.Token).ConfigureAwait(false);
                    resume = true;
                    continue;
                }

                ReadResult result = _readResult;
                ReadOnlySequence<byte> buffer = _unread;
                bool large = false;
                try
                {
                    if (result.IsCompleted)
                    {
                        if (!buffer.IsEmpty)
                        {
                            throw new ProtocolException($"The input ended inside a chunk: {buffer.Length} bytes of an incomplete chunk were left.");
                        }

                        if (Volatile.Read(ref _shutdownStarted) == 0)
                        {
                            failure = new ChannelClosedException($"Channel '{Name}': the other side closed the connection.");
                        }

                        break;
                    }

                    if (result.IsCanceled && Volatile.Read(ref _shutdownStarted) != 0)
                    {
                        break;
                    }

                    large = !buffer.IsEmpty && _directReader is not null && _directReader.TryTake(ref buffer);
                }
                finally
                {
                    _telemetry.RecordReceived(result.Buffer.Length - buffer.Length);
                    _input.AdvanceTo(buffer.Start, buffer.End);
                }

                if (large)
                {
                    // Most of a large buffer is still to come: it is read straight into its own array, then dispatched alone.
                    _readUsedUp = true;
                    (_input as DedicatedPipeReader)?.ShortenNextRead();
                    Chunk chunk = await _directReader!.ReadRestAsync(_lifetime.Token).ConfigureAwait(false);
                    if (!DispatchAlone(new ReceivedChunk(chunk)))
                    {
                        return;
                    }

                    if (_backlog.IsFull)
                    {
                        await _backlog.WaitForRoomAsync(_lifetime.Token).ConfigureAwait(false);
                    }
                }
            }
        }
        catch (ProtocolException ex)
        {
            ChannelLog.ProtocolError(_logger, Name, ex);
            failure = ex;
        }
        catch (Exception ex)
        {
            if (Volatile.Read(ref _shutdownStarted) == 0)
            {
                ChannelLog.ConnectionFailed(_logger, Name, ex);
                failure = ex is ChannelClosedException ? ex : new ChannelClosedException($"Channel '{Name}': the connection failed: {ex.Message}", ex);
            }
        }

        await _input.CompleteAsync(failure).ConfigureAwait(false);
        await (failure is null ? ShutdownAsync(null) : FailAsync(failure)).ConfigureAwait(false);
        _readingDone.TrySetResult();
    }

    /// <summary>
    /// Dispatches the whole chunks in <see cref="_unread"/>. Handlers and callers' continuations run inline, under the guard,
    /// and the writer is corked meanwhile, so the answers to one read go out in one write.
    /// </summary>
    /// <param name="backlogFull">
    /// Set when it stopped because too much waits for its handlers: whole chunks may be left in <see cref="_unread"/>, and
    /// the loop must dispatch them before it reads again (a read would wait for more input).
    /// </param>
    /// <returns><see langword="false"/> when the guard took reading from this loop: it must not touch the input again.</returns>
    private bool DispatchUnread(out bool backlogFull)
    {
        ReadOnlySequence<byte> buffer = _unread;
        bool owner = true;
        backlogFull = false;
        _writer.Cork();
        _guard.BeginBatch();
        try
        {
            while (TryReadChunk(ref buffer, out ReceivedChunk chunk))
            {
                _unread = buffer;
                if (chunk.Buffer.Length >= LargeChunkBytes)
                {
                    _guard.RestartClock(); // Copying it took time of its own; the code it goes to is timed from here.
                }

                if (!Dispatch(in chunk))
                {
                    owner = false;
                    return false;
                }

                if (_backlog.IsFull)
                {
                    backlogFull = true; // The read loop waits for room before it dispatches the rest.
                    break;
                }
            }

            return true;
        }
        finally
        {
            if (owner)
            {
                _guard.EndBatch();
            }

            _writer.Uncork();
        }
    }

    /// <summary>Reads one chunk with the framer: as fields where the framer can, so that a response needs no <see cref="Chunk"/>.</summary>
    private bool TryReadChunk(ref ReadOnlySequence<byte> buffer, out ReceivedChunk chunk)
    {
        if (_fieldReader is not null)
        {
            return _fieldReader.TryReadReceived(ref buffer, out chunk);
        }

        bool read = _framer.TryRead(ref buffer, out Chunk? whole);
        chunk = read ? new ReceivedChunk(whole!) : default;
        return read;
    }

    /// <summary>Dispatches one chunk read on its own, corked and guarded as <see cref="DispatchUnread"/> dispatches a read's chunks.</summary>
    /// <returns><see langword="false"/> when the guard took reading from this loop.</returns>
    private bool DispatchAlone(in ReceivedChunk chunk)
    {
        bool owner = false;
        _writer.Cork();
        _guard.BeginBatch();
        try
        {
            owner = Dispatch(in chunk);
            return owner;
        }
        finally
        {
            if (owner)
            {
                _guard.EndBatch();
            }

            _writer.Uncork();
        }
    }

    /// <summary>Hands <paramref name="chunk"/> to whoever awaits or handles it.</summary>
    /// <returns><see langword="false"/> when code it ran inline held the loop so long that the guard took reading from it.</returns>
    private bool Dispatch(in ReceivedChunk chunk)
    {
        switch (chunk.Direction)
        {
            case Direction.Response:
                if (!_pending.TryRemove(chunk.ThreadId, out PendingCall? call))
                {
                    ChannelLog.ResponseDropped(_logger, Name, chunk.ThreadId);
                    return true;
                }

                if (_completions.RunsOnThreadPool)
                {
                    call.SetResult(in chunk, runContinuationInline: false);
                    return true;
                }

                long section = _guard.Enter(_completions);
                call.SetResult(in chunk, runContinuationInline: true);
                return _guard.TryExit(section);

            case Direction.Request:
                return DispatchRequest(chunk.ToChunk());

            case Direction.OneWay:
                if (_handlers.HasInlineHandlers && _handlers.FindInline(chunk.Cmd) is { } inline)
                {
                    return RunOneWayInline(chunk.ToChunk(), inline);
                }

                Chunk oneWay = chunk.ToChunk();
                Interlocked.Increment(ref _activeHandlers);
                _backlog.Add(oneWay);
                var message = new IncomingRequest(this, oneWay, _lifetime.Token);
                if (_oneWays is not null)
                {
                    _oneWays.Enqueue(message);
                }
                else
                {
                    ThreadPool.UnsafeQueueUserWorkItem(message, preferLocal: true);
                }

                break;

            case Direction.Cancel:
                if (_incoming.TryGet(chunk.ThreadId, out IncomingRequest? cancelled))
                {
                    cancelled.Cancel();
                }

                break;

            default:
                break; // Noop
        }

        return true;
    }

    /// <summary>Runs an inline one-way handler (see <see cref="HandlerRegistry.HandleInline"/>) on the loop, under its guard.</summary>
    /// <returns><see langword="false"/> when the handler held the loop so long that the guard took reading from it.</returns>
    private bool RunOneWayInline(Chunk chunk, HandlerRegistration registration)
    {
        long section = _guard.Enter(registration);
        try
        {
            ValueTask<ReadOnlyMemory<byte>> handled = registration.Handler(chunk, _owner, _lifetime.Token);
            if (!handled.IsCompletedSuccessfully)
            {
                handled.AsTask().Forget();
            }
        }
        catch (Exception ex)
        {
            ChannelLog.HandlerFailed(_logger, Name, chunk.Cmd, ex);
        }

        return _guard.TryExit(section);
    }

    /// <summary>Moves work that keeps holding the read loop off it: a handler to the thread pool, or every caller's continuation.</summary>
    /// <remarks>An inline one-way handler (progress reports) stays on the loop whatever it costs: its order relative to the answers it precedes is its point.</remarks>
    private void OnSlowInlineRun(SlowRunCounter work)
    {
        if (!work.RecordSlowRun())
        {
            return;
        }

        if (work is HandlerRegistration registration)
        {
            ChannelLog.HandlerMovedToThreadPool(_logger, Name, registration.Cmd);
        }
        else
        {
            ChannelLog.CompletionsMovedToThreadPool(_logger, Name);
        }
    }

    /// <summary>Called by the guard, on the check thread, when inline code held the read loop for a whole check period: reading goes on in a new loop.</summary>
    private void OnReadLoopStalled(SlowRunCounter work)
    {
        // The stuck request is read now, on the check thread: the guard already closed its section, and it may return any time.
        IncomingRequest? stuck = Volatile.Read(ref _inlineRequest);
        ThreadPool.UnsafeQueueUserWorkItem(
            static state =>
            {
                (Channel channel, SlowRunCounter work, IncomingRequest? stuck) = state;
                ChannelLog.ReadLoopStalled(channel._logger, channel.Name, work is HandlerRegistration registration ? $"the handler of '{registration.Cmd}'" : "a caller's continuation", s_inlineCheckPeriod.TotalMilliseconds);
                channel.OnSlowInlineRun(work);
                if (stuck is not null)
                {
                    channel.EnterInTable(stuck); // Before the new loop reads: it may read a cancel for it, or a request reusing its thread id.
                }

                channel._writer.ReleaseCork(); // What the stuck code wrote corked goes out now, not when it returns.
                channel.ReadLoopAsync(resume: true).Forget();
            },
            (this, work, stuck),
            preferLocal: false);
    }
}
