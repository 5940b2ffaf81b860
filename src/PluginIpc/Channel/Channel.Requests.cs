namespace PluginIpc;

/// <content>
/// Incoming requests and one-way messages: finding their handlers, running them inline or on the thread pool, and answering.
/// </content>
public sealed partial class Channel
{
    /// <summary>Runs the handler of <paramref name="request"/>, on the thread pool, and sends its answer. Never faults.</summary>
    /// <param name="request">The request or one-way message.</param>
    internal async ValueTask RunHandlerAsync(IncomingRequest request)
    {
        Chunk chunk = request.Chunk;
        bool isRequest = chunk.Direction == Direction.Request;
        CancellationToken cancellationToken = request.Token;
        ChannelTelemetry.CallScope telemetry = _telemetry.StartHandler(chunk, _handlers);
        bool holdsSlot = false;

        // In the backlog until it starts; a one-way message handled concurrently, which no slot bounds, until it ends.
        bool inBacklog = true;
        try
        {
            if (isRequest)
            {
                if (request.BudgetWait is { } budget)
                {
                    request.BudgetWait = null;
                    await (budget.IsCompleted ? budget : WaitForBudgetAsync(budget, chunk)).ConfigureAwait(false);
                    request.HoldsBudget = true;
                }

                Task slot = _handlerSlots.WaitAsync(cancellationToken);
                if (!slot.IsCompletedSuccessfully)
                {
                    await slot.ConfigureAwait(false);
                }

                holdsSlot = true;
            }

            if (isRequest || _oneWays is not null)
            {
                inBacklog = false;
                _backlog.Remove(chunk);
            }

            HandlerRegistration? registration = ResolveHandler(chunk);
            KeepLentOnlyFor(chunk, registration);
            if (registration is null)
            {
                if (isRequest)
                {
                    telemetry.Fail(ErrorCodes.UnknownCommand);
                    await AnswerRequestAsync(request, Commands.Error, ErrorPayload.Encode(ErrorCodes.UnknownCommand, $"No handler for command '{chunk.Cmd}'.", null)).ConfigureAwait(false);
                }
                else
                {
                    ChannelLog.OneWayUnhandled(_logger, Name, chunk.Cmd, chunk.Buffer.Length);
                }

                return;
            }

            ValueTask<ReadOnlyMemory<byte>> pending = registration.Handler(chunk, _owner, cancellationToken);
            ReadOnlyMemory<byte> answer = pending.IsCompletedSuccessfully ? pending.Result : await pending.ConfigureAwait(false);
            if (isRequest)
            {
                await AnswerRequestAsync(request, chunk.Cmd, answer).ConfigureAwait(false);
            }
        }
        catch (Exception ex)
        {
            telemetry.Fail(ex, cancellationToken);
            await ReportHandlerFailureAsync(request, ex, cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            if (inBacklog)
            {
                _backlog.Remove(chunk);
            }

            EndHandler(request, telemetry, holdsSlot);
        }
    }

    /// <summary>
    /// Runs a request's handler inline, on the read loop, holding a handler slot. A handler that answers at once is
    /// answered and ended here, with no state machine; one that goes on is awaited by <see cref="AwaitHandlerAsync"/>.
    /// </summary>
    private void RunHandlerInline(IncomingRequest request, HandlerRegistration registration)
    {
        // What the handler sets in its context (its activity, async locals) must not stay on the read loop.
        ExecutionContext? readLoopContext = ExecutionContext.Capture();
        Chunk chunk = request.Chunk;
        ChannelTelemetry.CallScope telemetry = _telemetry.StartHandler(chunk, _handlers, registration.Method);
        ValueTask<ReadOnlyMemory<byte>> pending;
        try
        {
            pending = registration.Handler(chunk, _owner, request.Token);
        }
        catch (Exception ex)
        {
            pending = ValueTask.FromException<ReadOnlyMemory<byte>>(ex);
        }

        if (readLoopContext is not null)
        {
            ExecutionContext.Restore(readLoopContext); // A handler that goes on keeps its context in its own continuations.
        }

        if (pending.IsCompletedSuccessfully)
        {
            ValueTask answered = AnswerRequestAsync(request, chunk.Cmd, pending.Result);
            if (answered.IsCompletedSuccessfully)
            {
                answered.GetAwaiter().GetResult();
                if (!EndHandler(request, telemetry, holdsSlot: true, inline: true))
                {
                    _spareRequest = request; // Never in the table, so nothing goes on holding it: the next request reuses it.
                }

                return;
            }

            EndHandlerAfterAsync(answered, request, telemetry).Forget();
            return;
        }

        EnterInTable(request); // It goes on after the loop moves on: a cancel, or a close, must find it.
        AwaitHandlerAsync(request, pending, telemetry).Forget();
    }

    /// <summary>Enters a request handled inline in the in-flight table, unless its handler has ended meanwhile.</summary>
    private void EnterInTable(IncomingRequest request)
    {
        ulong threadId = request.Chunk.ThreadId;
        _incoming.TryAdd(threadId, request); // false when the guard entered it first: the same request
        if (!request.MarkInTable())
        {
            _incoming.TryRemove(threadId, request); // Its handler ended first, and did not look in the table.
        }
    }

    /// <summary>Ends an inline request once its answer, still being written, is out. Never faults.</summary>
    private async ValueTask EndHandlerAfterAsync(ValueTask answered, IncomingRequest request, ChannelTelemetry.CallScope telemetry)
    {
        try
        {
            await answered.ConfigureAwait(false); // never faults
        }
        finally
        {
            EndHandler(request, telemetry, holdsSlot: true, inline: true);
        }
    }

    /// <summary>The rest of <see cref="RunHandlerInline"/> for a handler that did not answer at once, or failed. Never faults.</summary>
    private async ValueTask AwaitHandlerAsync(IncomingRequest request, ValueTask<ReadOnlyMemory<byte>> pending, ChannelTelemetry.CallScope telemetry)
    {
        Chunk chunk = request.Chunk;
        try
        {
            ReadOnlyMemory<byte> answer = await pending.ConfigureAwait(false);
            await AnswerRequestAsync(request, chunk.Cmd, answer).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            telemetry.Fail(ex, request.Token);
            await ReportHandlerFailureAsync(request, ex, request.Token).ConfigureAwait(false);
        }
        finally
        {
            EndHandler(request, telemetry, holdsSlot: true, inline: true);
        }
    }

    /// <summary>Logs a handler's failure (unless the caller asked for it) and answers a request with the error. Never faults.</summary>
    private ValueTask ReportHandlerFailureAsync(IncomingRequest request, Exception failure, CancellationToken cancellationToken)
    {
        Chunk chunk = request.Chunk;
        // A handler that gives up with OperationCanceledException, asked to or not, cancels the call: the caller gets one too.
        bool cancelled = failure is OperationCanceledException;
        if (failure is not RemoteException && !cancelled)
        {
            ChannelLog.HandlerFailed(_logger, Name, chunk.Cmd, failure);
        }

        if (chunk.Direction != Direction.Request)
        {
            return default;
        }

        if (cancelled && Volatile.Read(ref _state) == Closed)
        {
            // Cancelled because this side closed: no answer, as for a request that arrives once it has. The caller fails with
            // ChannelClosedException when the connection ends; a CANCELLED that raced out first made it an
            // OperationCanceledException, as if the caller had cancelled.
            ReturnLent(chunk);
            return default;
        }

        byte[] error = cancelled
            ? ErrorPayload.Encode(ErrorCodes.Cancelled, cancellationToken.IsCancellationRequested ? $"The request '{chunk.Cmd}' was cancelled." : $"The handler of '{chunk.Cmd}' cancelled it: {failure.Message}", null)
            : ErrorPayload.Encode(failure, _options.IncludeExceptionDetails);
        return AnswerRequestAsync(request, Commands.Error, error);
    }

    /// <summary>Ends a handled request or one-way message: stops its telemetry and releases its slot, table entry and token.</summary>
    /// <param name="request">The request or one-way message.</param>
    /// <param name="telemetry">Its telemetry.</param>
    /// <param name="holdsSlot">Whether it holds a handler slot.</param>
    /// <param name="inline">
    /// Whether it is a request handled inline: those hold a slot but are not counted in <see cref="_activeHandlers"/>, which
    /// saves two atomic operations per request; a close finds them running by the slots they hold.
    /// </param>
    /// <returns>Whether the request is or was in the in-flight table (always for one-way messages): something may still hold it.</returns>
    private bool EndHandler(IncomingRequest request, in ChannelTelemetry.CallScope telemetry, bool holdsSlot, bool inline = false)
    {
        telemetry.Stop();
        if (holdsSlot)
        {
            _handlerSlots.Release();
        }

        if (request.HoldsBudget)
        {
            _largeRequests.Release(request.Chunk.Buffer.Length);
            request.HoldsBudget = false;
        }

        if (request.Finish(out bool wasInTable) && request.Chunk.Direction == Direction.Request)
        {
            _incoming.TryRemove(request.Chunk.ThreadId, request);
        }

        if (inline ? Volatile.Read(ref _state) == Closing : Interlocked.Decrement(ref _activeHandlers) == 0)
        {
            CheckDrained();
        }

        return wasInTable;
    }

    /// <summary>
    /// Takes a handled request out of the in-flight table, then sends its response: the other side may reuse the thread
    /// id as soon as it reads the response. Never throws: a failure is logged.
    /// </summary>
    private ValueTask AnswerRequestAsync(IncomingRequest request, string cmd, ReadOnlyMemory<byte> body)
    {
        if (request.LeaveTable())
        {
            _incoming.TryRemove(request.Chunk.ThreadId, request);
        }

        return AnswerAsync(request.Chunk, cmd, body);
    }

    /// <summary>Sends the response to <paramref name="request"/>. Never throws: a failure is logged.</summary>
    private ValueTask AnswerAsync(Chunk request, string cmd, ReadOnlyMemory<byte> body)
    {
        // Most answers are framed at once and need no state machine; only a write still under way, or failed, gets one.
        ValueTask write;
        bool framed = false;
        try
        {
            write = _writer.WriteAsync(new OutgoingChunk(request.ThreadId, Direction.Response, cmd, body), mayWait: false, out framed);
        }
        catch (Exception ex)
        {
            write = ValueTask.FromException(ex);
        }

        // A typed answer's pooled body goes back exactly once: now if its bytes are in the output (or never will be), else
        // once the write that waits for room is over.
        bool bodyWaits = !framed && !write.IsCompleted;
        if (!bodyWaits)
        {
            PooledBody.ReleaseIfPooled(body);
            ReturnLent(request); // the handler is done, and the answer (which may be the request's memory) is framed
        }

        if (write.IsCompletedSuccessfully)
        {
            write.GetAwaiter().GetResult();
            return default;
        }

        return AwaitAnswerAsync(write, request, cmd, body.Length, releaseAfterWrite: bodyWaits ? body : default);
    }

    /// <summary>The rest of <see cref="AnswerAsync"/> when the write is still under way, or failed.</summary>
    private async ValueTask AwaitAnswerAsync(ValueTask write, Chunk request, string cmd, int bodyLength, ReadOnlyMemory<byte> releaseAfterWrite)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (ProtocolException ex) when (cmd is not Commands.Error)
        {
            // The answer is over the framer's limits: the caller must still hear about it.
            byte[] error = ErrorPayload.Encode(ErrorCodes.PayloadTooLarge, $"The answer to '{request.Cmd}' ({bodyLength} bytes) exceeds the framer's limits: {ex.Message}", null);
            await AnswerAsync(request, Commands.Error, error).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not ChannelClosedException && cmd is not Commands.Error)
        {
            // The framer threw (a custom framer's own exception): the caller hears why instead of waiting for its timeout.
            ChannelLog.AnswerFailed(_logger, Name, request.Cmd, request.ThreadId, ex);
            byte[] error = ErrorPayload.Encode(ErrorCodes.HandlerError, $"The answer to '{request.Cmd}' could not be framed: {ex.Message}", null);
            await AnswerAsync(request, Commands.Error, error).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // The transport is gone (the caller's side fails its call itself), or not even an error answer could be framed.
            ChannelLog.AnswerFailed(_logger, Name, request.Cmd, request.ThreadId, ex);
        }
        finally
        {
            PooledBody.ReleaseIfPooled(releaseAfterWrite); // waited for room in the writer: framed now, or failed
            ReturnLent(request);
        }
    }

    private HandlerRegistration? ResolveHandler(Chunk chunk)
    {
        if (chunk.Direction == Direction.Request && chunk.Cmd == Commands.Ping)
        {
            return _ping;
        }

        return _handlers.Find(chunk.Cmd);
    }

    /// <summary>Waits for a large request's bytes, and says so once it has waited long: a chain of calls back may be waiting on itself.</summary>
    private async Task WaitForBudgetAsync(Task budget, Chunk chunk)
    {
        try
        {
            await budget.WaitAsync(s_largeRequestWaitWarning, _options.TimeProvider).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            ChannelLog.LargeRequestWaits(_logger, Name, chunk.Cmd, chunk.ThreadId, chunk.Buffer.Length, s_largeRequestWaitWarning.TotalSeconds, _largeRequests.HeldBytes, _options.MaxRunningRequestBytes);
            await budget.ConfigureAwait(false);
        }
    }

    /// <summary>Returns the bytes <paramref name="chunk"/>'s handler takes from <see cref="_largeRequests"/>: 0 for all but large requests, and for pings, which show that the channel is alive.</summary>
    private static int BudgetBytesOf(Chunk chunk) =>
        LargeRequestBudget.IsLarge(chunk.Buffer.Length) && chunk.Cmd != Commands.Ping ? chunk.Buffer.Length : 0;

    /// <summary>Takes what a request handled inline holds: a handler slot and, for a large one, its <paramref name="bytes"/>; both or neither.</summary>
    private bool TryTakeInline(IncomingRequest request, int bytes)
    {
        if (bytes == 0)
        {
            return _handlerSlots.TryTake();
        }

        if (!_largeRequests.TryTake(bytes))
        {
            return false; // it waits for them on the thread pool
        }

        if (!_handlerSlots.TryTake())
        {
            _largeRequests.Release(bytes);
            return false;
        }

        request.HoldsBudget = true;
        return true;
    }

    private bool DispatchRequest(Chunk chunk)
    {
        int state = Volatile.Read(ref _state);
        if (state == Closed)
        {
            return true; // Closed at once: no answer; the caller fails with ChannelClosedException when the connection ends.
        }

        if (state == Closing)
        {
            // A ping is still answered (protocol section 3): a peer that waits for a graceful close must not take it for a hang.
            _ = chunk.Cmd == Commands.Ping
                ? AnswerAsync(chunk, Commands.Ping, ReadOnlyMemory<byte>.Empty).AsTask() // never faults
                : AnswerAsync(chunk, Commands.Error, ErrorPayload.Encode(ErrorCodes.ShuttingDown, $"Channel '{Name}' is shutting down.", null)).AsTask();
            return true;
        }

        IncomingRequest? request = _spareRequest;
        if (request is null)
        {
            request = new IncomingRequest(this, chunk, CancellationTokenSourcePool.Rent());
        }
        else
        {
            _spareRequest = null;
            request.Reuse(chunk, CancellationTokenSourcePool.Rent());
        }

        HandlerRegistration? registration = ResolveHandler(chunk);
        KeepLentOnlyFor(chunk, registration);

        // A request handled inline stays out of the in-flight table while its handler runs on the loop: no other chunk
        // is read meanwhile, so nothing can look for it there (see RunHandlerInline and OnReadLoopStalled).
        int budgetBytes = BudgetBytesOf(chunk);
        bool inline = registration is { RunsOnThreadPool: false } && !_incoming.Contains(chunk.ThreadId) && TryTakeInline(request, budgetBytes);
        if (!inline && !_incoming.TryAdd(chunk.ThreadId, request))
        {
            request.Finish(out _);
            ChannelLog.DuplicateThreadId(_logger, Name, chunk.ThreadId, chunk.Cmd);
            _ = AnswerAsync(chunk, Commands.Error, ErrorPayload.Encode(ErrorCodes.InvalidRequest, $"Thread id {chunk.ThreadId} is already in flight.", null)).AsTask(); // never faults
            return true;
        }

        if (!inline)
        {
            if (budgetBytes > 0)
            {
                // Queued here, on the read loop, so that large requests get their bytes in the order they arrived.
                request.BudgetWait = _largeRequests.WaitAsync(budgetBytes, request.Token);
            }

            Interlocked.Increment(ref _activeHandlers);
            _backlog.Add(chunk);
            ThreadPool.UnsafeQueueUserWorkItem(request, preferLocal: true);
            return true;
        }

        request.MarkOutsideTable();
        Volatile.Write(ref _inlineRequest, request);
        long section = _guard.Enter(registration!);
        RunHandlerInline(request, registration!);
        if (!_guard.TryExit(section))
        {
            return false; // Taken over: the loop reading now owns _inlineRequest, and this one must not clear it.
        }

        _inlineRequest = null;
        return true;
    }
}
