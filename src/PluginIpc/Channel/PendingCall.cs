namespace PluginIpc;

/// <summary>A request this side sent and whose response it awaits; pooled, so a call allocates only its task.</summary>
/// <remarks>
/// <para>
/// Whoever removes the call from the channel's pending table settles it, exactly once, with a response or a failure.
/// Settling finishes the call: it releases what the call held, recycles it, and completes the caller's task. No state
/// machine stands between the response and the caller: a response read inline completes the task on the read loop.
/// </para>
/// <para>
/// A call settled while its request is still being sent (a fast response, a cancel, a close) is finished by the sender
/// instead, once it no longer touches the call; until then nothing the sender may still write is released.
/// </para>
/// </remarks>
internal abstract class PendingCall : IThreadPoolWorkItem
{
    /// <summary>The sender is still registering and writing the request.</summary>
    private const int Sending = 0;

    /// <summary>The sender is done: whoever settles the call finishes it.</summary>
    private const int Sent = 1;

    /// <summary>The call was settled while the sender was still at work: the sender finishes it.</summary>
    private const int SettledWhileSending = 2;

    /// <summary>The stage, without <see cref="CancelOwed"/>.</summary>
    private const int StageMask = 3;

    /// <summary>Added to <see cref="Sending"/>: the call was withdrawn while its request was being written, and the sender sends the cancel after it.</summary>
    private const int CancelOwed = 4;

    private int _stage;
    private ReceivedChunk _response;
    private Exception? _failure;

    public Channel Channel { get; private set; } = null!;

    public ulong ThreadId { get; private set; }

    public string Cmd { get; private set; } = string.Empty;

    public TimeSpan Timeout { get; private set; }

    /// <summary>Gets the <see cref="Environment.TickCount64"/> after which the channel's sweep times the call out, or 0 if it has no such deadline (a short or infinite timeout, or a clock other than the system's).</summary>
    public long Deadline { get; private set; }

    public CancellationToken CallerToken { get; private set; }

    /// <summary>Gets or sets a value indicating whether other calls were in flight when this one was entered.</summary>
    public bool OthersInFlight { get; set; }

    /// <summary>Gets a value indicating whether the caller takes its answer as a <see cref="PooledBuffer"/>, which gives a rented array back.</summary>
    /// <remarks>Read by the read loop while the call may be settled and recycled by another thread: a wrong guess costs only pooling.</remarks>
    public virtual bool TakesPooledBuffer => false;

    /// <summary>Gets the request's body, until the call is recycled.</summary>
    public ReadOnlyMemory<byte> Buffer { get; private set; }

    /// <summary>Gets the request's headers as the caller gave them, until the call is recycled (trace context is added to a copy when it is sent).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; private set; }

    /// <summary>The call's telemetry scope; a field, so the scope is updated in place.</summary>
    public ChannelTelemetry.CallScope Telemetry;

    /// <summary>Gets or sets the registration that withdraws the call when the caller's token fires.</summary>
    public CancellationTokenRegistration CallerRegistration { get; set; }

    /// <summary>Gets or sets the timer of a timeout too short for the channel's sweep, or of any timeout on a clock other than the system's, if the call has one.</summary>
    public CancellationTokenSource? Timer { get; set; }

    /// <summary>Gets or sets a value indicating whether <see cref="Timer"/> runs on a provider's clock: it is disposed, not pooled, when the call settles.</summary>
    public bool TimerIsOwned { get; set; }

    /// <summary>Gets or sets the registration that times the call out when <see cref="Timer"/> fires.</summary>
    public CancellationTokenRegistration TimerRegistration { get; set; }

    /// <summary>Gets a value indicating whether the call was settled before its sender finished: the request need not go out.</summary>
    public bool SettledEarly => (Volatile.Read(ref _stage) & StageMask) == SettledWhileSending;

    /// <summary>Settles the call with its response.</summary>
    /// <param name="response">The response.</param>
    /// <param name="runContinuationInline">Finish the call, and so run the caller's continuation, on this thread, as the read loop does under its guard.</param>
    public void SetResult(in ReceivedChunk response, bool runContinuationInline)
    {
        _response = response;
        if (TryLeaveToSender())
        {
            return;
        }

        if (runContinuationInline)
        {
            Finish();
        }
        else
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: true);
        }
    }

    /// <summary>Settles the call with a failure; the caller's continuation runs on the thread pool, never on the failing thread.</summary>
    public void SetException(Exception error)
    {
        _failure = error;
        if (!TryLeaveToSender())
        {
            ThreadPool.UnsafeQueueUserWorkItem(this, preferLocal: false);
        }
    }

    /// <summary>Tells the call its sender no longer touches it.</summary>
    /// <param name="cancelOwed">Set when the call was withdrawn while being sent: the sender must send the cancel, if it wrote the request.</param>
    /// <returns><see langword="false"/> if the call was settled meanwhile: the sender must <see cref="Finish"/> it.</returns>
    public bool TryMarkSent(out bool cancelOwed)
    {
        while (true)
        {
            int stage = Volatile.Read(ref _stage);
            cancelOwed = (stage & CancelOwed) != 0;
            if ((stage & StageMask) != Sending)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _stage, Sent, stage) == stage)
            {
                return true;
            }
        }
    }

    /// <summary>
    /// Leaves the cancel of a withdrawn call to its sender while the request is still being written, so that the cancel
    /// does not go out ahead of the request it cancels (the other side would ignore it, then run the request). A request
    /// that waits for room in the writer gets a cancel after it as well (see <c>Channel.FailIfUnsentAsync</c>).
    /// </summary>
    /// <returns><see langword="false"/> when the sender is done: the withdrawer sends the cancel itself.</returns>
    public bool TryLeaveCancelToSender()
    {
        while (true)
        {
            int stage = Volatile.Read(ref _stage);
            if ((stage & StageMask) != Sending)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _stage, stage | CancelOwed, stage) == stage)
            {
                return true;
            }
        }
    }

    /// <summary>Releases what the call held, recycles it, and completes the caller's task with the outcome it was settled with.</summary>
    public void Finish()
    {
        ReceivedChunk response = _response;
        Exception? failure = _failure;
        CallerRegistration.Dispose();
        TimerRegistration.Dispose();
        if (Timer is { } timer)
        {
            if (TimerIsOwned)
            {
                timer.Dispose(); // a pooled source would keep the provider's timer for calls on the system clock
            }
            else
            {
                CancellationTokenSourcePool.Return(timer);
            }
        }

        Complete(in response, failure);
    }

    /// <inheritdoc/>
    void IThreadPoolWorkItem.Execute() => Finish();

    /// <summary>Prepares a rented call for a new request.</summary>
    protected void Initialize(Channel channel, ulong threadId, string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, long deadline, CancellationToken callerToken)
    {
        _stage = Sending;
        Channel = channel;
        ThreadId = threadId;
        Cmd = cmd;
        Buffer = buffer;
        Headers = headers;
        Timeout = timeout;
        Deadline = deadline;
        CallerToken = callerToken;
    }

    /// <summary>Clears what the call referenced, before it goes back to its pool.</summary>
    protected void Clear()
    {
        _response = default;
        _failure = null;
        Channel = null!;
        CallerToken = default;
        Buffer = default;
        Headers = null;
        Telemetry = default;
        CallerRegistration = default;
        Timer = null;
        TimerIsOwned = false;
        TimerRegistration = default;
    }

    /// <summary>Turns the outcome into the caller's answer or failure, recycles the call, then completes the caller's task.</summary>
    /// <param name="response">The response, when <paramref name="failure"/> is <see langword="null"/>.</param>
    /// <param name="failure">Why the call failed, if it did.</param>
    protected abstract void Complete(in ReceivedChunk response, Exception? failure);

    /// <summary>Leaves the settled call to its sender if the sender is still at work.</summary>
    private bool TryLeaveToSender()
    {
        while (true)
        {
            int stage = Volatile.Read(ref _stage);
            if ((stage & StageMask) != Sending)
            {
                return false;
            }

            if (Interlocked.CompareExchange(ref _stage, (stage & CancelOwed) | SettledWhileSending, stage) == stage)
            {
                return true;
            }
        }
    }
}
