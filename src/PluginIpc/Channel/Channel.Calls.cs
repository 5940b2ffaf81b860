namespace PluginIpc;

/// <content>
/// Outgoing calls and one-way messages: sending requests, timeouts, cancellation by the caller, and why a call failed.
/// </content>
public sealed partial class Channel
{
    /// <summary>Gets or sets what runs after a call's sender decided to write its request and before it does: tests put a race there.</summary>
    internal Action? BeforeRequestWrite { get; set; }

    /// <summary>Starts a call and returns the task of its answer; what fails before the request is sent fails the task too.</summary>
    /// <typeparam name="TAnswer">What the caller gets from the response.</typeparam>
    private Task<TAnswer> CallCoreAsync<TAnswer>(string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, Func<ReceivedChunk, TAnswer> answer, CancellationToken cancellationToken)
    {
        PendingCall<TAnswer> call;
        try
        {
            call = BeginCall(cmd, buffer, headers, timeout, answer, cancellationToken);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled<TAnswer>(cancellationToken);
        }
        catch (Exception ex)
        {
            return Task.FromException<TAnswer>(ex);
        }

        return SendRequest(call);
    }

    /// <summary>Checks that a call may start, and enters it in the pending table under a new thread id.</summary>
    private PendingCall<TAnswer> BeginCall<TAnswer>(string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, Func<ReceivedChunk, TAnswer> answer, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        ChannelOptions.ValidateTimeout(timeout, nameof(timeout));
        cancellationToken.ThrowIfCancellationRequested();
        EnsureAcceptingCalls();

        ulong threadId = (ulong)Interlocked.Increment(ref _lastThreadId);
        bool swept = timeout >= s_sweptTimeoutMinimum && _systemClock;
        long deadline = swept ? Environment.TickCount64 + (long)timeout.TotalMilliseconds + CoarseClockResolutionMs : 0;
        var call = PendingCall<TAnswer>.Rent(this, threadId, cmd, buffer, headers, timeout, deadline, answer, cancellationToken);
        _pending.TryAdd(threadId, call, out int inFlight);
        call.OthersInFlight = inFlight > 1;
        if (swept)
        {
            _timeouts.Arm();
        }

        if (Volatile.Read(ref _state) >= Closing && _pending.TryRemove(threadId, call))
        {
            call.Return();
            EnsureAcceptingCalls();
        }

        return call;
    }

    /// <summary>
    /// Sends <paramref name="call"/>'s request and returns the caller's task. No state machine waits for the answer: whoever
    /// settles the call completes the task (see <see cref="PendingCall"/>).
    /// </summary>
    private Task<TAnswer> SendRequest<TAnswer>(PendingCall<TAnswer> call)
    {
        Task<TAnswer> task = call.Task;
        ulong threadId = call.ThreadId;
        string cmd = call.Cmd;
        bool requestWritten = false;
        ReadOnlyMemory<byte> body = call.Buffer; // a pooled body goes back once framed (or failed), and is never read again
        bool bodyWaits = false;
        IReadOnlyDictionary<string, string>? headers = call.Headers;
        try
        {
            call.Telemetry = _telemetry.StartCall(call.Cmd, ref headers); // an activity listener may throw
            if (call.CallerToken.CanBeCanceled)
            {
                call.CallerRegistration = call.CallerToken.UnsafeRegister(s_onCallerCancelled, call);
            }

            if (call.Timeout != Timeout.InfiniteTimeSpan && call.Deadline == 0)
            {
                if (_systemClock)
                {
                    CancellationTokenSource timer = CancellationTokenSourcePool.Rent();
                    call.Timer = timer;
                    call.TimerRegistration = timer.Token.UnsafeRegister(s_onTimeout, call);
                    timer.CancelAfter(call.Timeout);
                }
                else
                {
                    StartTimerOfProvider(call);
                }
            }

            if (!call.SettledEarly)
            {
                BeforeRequestWrite?.Invoke();
                // A thread-pool thread writes at once even with others in flight: it may block on its call (sync over async),
                // and a pool with no thread left could then never run the queued write the call waits for.
                bool mayWait = call.OthersInFlight && !Thread.CurrentThread.IsThreadPoolThread;
                ValueTask write = _writer.WriteAsync(new OutgoingChunk(threadId, Direction.Request, call.Cmd, call.Buffer, headers), mayWait, out requestWritten);
                if (write.IsCompleted)
                {
                    write.GetAwaiter().GetResult();
                }
                else
                {
                    // Not framed yet (the writer is over its cap): a cancel written meanwhile could overtake it, so one follows it.
                    bodyWaits = !requestWritten;
                    if (bodyWaits)
                    {
                        // A lending handler's request buffer (or any slice of it), forwarded: the call may end (timeout, cancel)
                        // before the writer has framed it, and the handler with it, so the array must not go back to the pool then.
                        RentedBuffer.Keep(body);
                    }

                    FailIfUnsentAsync(write, threadId, call, requestWritten ? null : cmd, bodyWaits ? body : default).Forget();
                }
            }
        }
        catch (Exception ex)
        {
            requestWritten = false;
            FailUnsent(threadId, call, ex);
        }

        if (!bodyWaits)
        {
            PooledBody.ReleaseIfPooled(body);
        }

        // From here on only the call's settler touches it: it may already be recycled, and in use by another call.
        bool sent = call.TryMarkSent(out bool cancelOwed);
        if (cancelOwed && requestWritten && Volatile.Read(ref _state) <= Closing)
        {
            SendCancelAsync(threadId, cmd).Forget(); // withdrawn while its request was being written: the cancel follows it
        }

        if (!sent)
        {
            call.Finish();
        }

        return task;
    }

    /// <summary>Times <paramref name="call"/> out with a timer of <see cref="ChannelOptions.TimeProvider"/>, a provider other than the system's; the call disposes it when it settles.</summary>
    private void StartTimerOfProvider(PendingCall call)
    {
        // Armed after the registration, as on the pooled path: CancelAfter on a source made with a provider uses its timer.
        var timer = new CancellationTokenSource(Timeout.InfiniteTimeSpan, _options.TimeProvider);
        call.Timer = timer;
        call.TimerIsOwned = true;
        call.TimerRegistration = timer.Token.UnsafeRegister(s_onTimeout, call);
        timer.CancelAfter(call.Timeout);
    }

    /// <summary>Fails a call whose request's write, still under way when the call was sent, fails.</summary>
    /// <param name="write">The write.</param>
    /// <param name="threadId">The call's thread id when it was sent.</param>
    /// <param name="call">The call.</param>
    /// <param name="cancelIfWithdrawnCmd">
    /// The call's cmd when its request was not framed yet: if the call was withdrawn before it was, a cancel follows the
    /// request (the withdrawer's own cancel may have gone out first, and the other side ignored it).
    /// </param>
    /// <param name="waitingBody">The request's body when it was not framed yet: a pooled one goes back once the write is over.</param>
    private async Task FailIfUnsentAsync(ValueTask write, ulong threadId, PendingCall call, string? cancelIfWithdrawnCmd, ReadOnlyMemory<byte> waitingBody)
    {
        try
        {
            await write.ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            FailUnsent(threadId, call, ex);
            return;
        }
        finally
        {
            PooledBody.ReleaseIfPooled(waitingBody);
        }

        // A call missing from the table now was withdrawn (or, rarely, already answered: the other side ignores a cancel
        // for a thread id no longer in flight, and thread ids are never reused).
        if (cancelIfWithdrawnCmd is not null && !_pending.Contains(threadId) && Volatile.Read(ref _state) <= Closing)
        {
            SendCancelAsync(threadId, cancelIfWithdrawnCmd).Forget();
        }
    }

    /// <summary>Fails a call whose request did not go out, with why, unless something else settled it first.</summary>
    /// <param name="threadId">The call's thread id when it was sent: a recycled call is never in the table under it.</param>
    /// <param name="call">The call.</param>
    /// <param name="failure">Why the request did not go out.</param>
    private void FailUnsent(ulong threadId, PendingCall call, Exception failure)
    {
        // A failed transport closes the channel, which fails the call with why it closed (the first cause, such as the
        // plugin's exit or a protocol error), not with what the write happened to see ("broken pipe").
        if (failure is not ChannelClosedException && _pending.TryRemove(threadId, call))
        {
            call.SetException(failure);
        }
    }

    /// <summary>Says why a call failed: a closed output is explained by why the channel closed, once that is known.</summary>
    internal Exception ExplainFailure(Exception failure) => failure switch
    {
        ChannelClosedException { InnerException: null } closed when CloseReason is { } reason => new ChannelClosedException(closed.Message, reason),

        // The other side's handler gave up with OperationCanceledException: cancellation flows back as cancellation.
        RemoteException { Code: ErrorCodes.Cancelled } cancelled => new OperationCanceledException(cancelled.Message, cancelled),
        _ => failure,
    };

    private async ValueTask SendAsync(OutgoingChunk chunk, CancellationToken cancellationToken)
    {
        cancellationToken.ThrowIfCancellationRequested();
        EnsureAcceptingCalls(allowClosing: true); // one-way messages, such as log entries, may still go out during the grace period
        try
        {
            await _writer.WriteAsync(chunk, cancellationToken).ConfigureAwait(false); // a wait for room (the other side does not read) heeds the token
        }
        catch (ChannelClosedException ex)
        {
            throw await ExplainClosedAsync(ex).ConfigureAwait(false);
        }
    }

    /// <summary>Waits briefly for the channel to close after a failed write, and says why it closed: the first cause.</summary>
    private async Task<Exception> ExplainClosedAsync(ChannelClosedException failure)
    {
        await _completion.Task.WaitAsync(s_readLoopExitTimeout + s_readLoopExitTimeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        return CloseReason is { } reason && !ReferenceEquals(reason, failure)
            ? new ChannelClosedException($"Channel '{Name}' closed before the message went out: {reason.Message}", reason)
            : failure;
    }

    private void EnsureAcceptingCalls(bool allowClosing = false)
    {
        int state = Volatile.Read(ref _state);
        if (state == Created)
        {
            Start();
            state = Volatile.Read(ref _state);
        }

        if (state > Closing || (state == Closing && !allowClosing))
        {
            throw state == Closing
                ? new ChannelClosedException($"Channel '{Name}' is shutting down and takes no new calls.")
                : new ChannelClosedException($"Channel '{Name}' is closed.", CloseReason);
        }
    }

    private void OnCallerCancelled(PendingCall call)
    {
        if (TryWithdraw(call))
        {
            call.SetException(new OperationCanceledException(call.CallerToken));
        }
    }

    private void OnTimeout(PendingCall call)
    {
        if (TryWithdraw(call))
        {
            call.SetException(CreateTimeoutException(call));
        }
    }

    /// <summary>The sweep: times out the calls past their deadline.</summary>
    private void TimeOutOverdueCalls()
    {
        List<PendingCall>? overdue = _pending.RemoveWhere(s_isOverdue, Environment.TickCount64);
        if (overdue is null)
        {
            return;
        }

        // The sweep runs on the process's check thread, which must stay free: the cancels are written from the pool.
        ThreadPool.UnsafeQueueUserWorkItem(
            static state =>
            {
                foreach (PendingCall call in state.Overdue)
                {
                    state.Channel.TellPeerWithdrawn(call);
                    call.SetException(state.Channel.CreateTimeoutException(call));
                }
            },
            (Channel: this, Overdue: overdue),
            preferLocal: false);
    }

    private TimeoutException CreateTimeoutException(PendingCall call) =>
        new($"Channel '{Name}': the call '{call.Cmd}' got no answer within {call.Timeout}.");

    /// <summary>Stops waiting for <paramref name="call"/> and tells the other side it is no longer wanted.</summary>
    private bool TryWithdraw(PendingCall call)
    {
        if (!_pending.TryRemove(call.ThreadId, call))
        {
            return false;
        }

        TellPeerWithdrawn(call);
        return true;
    }

    /// <summary>Sends a Cancel for a call this side removed from the pending table and no longer awaits.</summary>
    private void TellPeerWithdrawn(PendingCall call)
    {
        if (call.TryLeaveCancelToSender())
        {
            return;
        }

        if (Volatile.Read(ref _state) <= Closing)
        {
            SendCancelAsync(call.ThreadId, call.Cmd).Forget();
        }
    }

    private async Task SendCancelAsync(ulong threadId, string cmd)
    {
        try
        {
            await _writer.WriteAsync(new OutgoingChunk(threadId, Direction.Cancel, cmd)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            ChannelLog.CancelFailed(_logger, Name, threadId, ex);
        }
    }
}
