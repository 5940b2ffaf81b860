namespace PluginIpc;

/// <summary>A request or one-way message from the other side, queued for its handler.</summary>
/// <remarks>
/// A request owns a pooled <see cref="CancellationTokenSource"/>. Cancel and finish race through one state field, so the
/// source goes back to the pool only when no cancel can reach it any more.
/// <para>
/// A request whose handler runs inline on the read loop stays out of the channel's in-flight table unless it goes on
/// after the loop moves on: its handler goes async, or holds the loop so long that reading goes on elsewhere. The loop
/// ending the handler and the guard putting it in the table race through the same field, so that whoever comes second
/// takes the entry out again.
/// </para>
/// </remarks>
internal sealed class IncomingRequest : IThreadPoolWorkItem
{
    // The handler's run: running (no bit), cancelled, finished; finished after a cancel keeps both bits.
    private const int Cancelled = 1;
    private const int Finished = 2;

    // The table: in it (no bit, where requests start), or outside it while handled inline or once it has left.
    private const int OutsideTable = 4;

    // Set with OutsideTable when the request left the table before its answer went out: it was in the table once.
    private const int LeftTable = 8;

    private readonly Channel _channel;
    private CancellationTokenSource? _cancellation;
    private int _state;

    /// <summary>Initializes a request that the other side may cancel.</summary>
    public IncomingRequest(Channel channel, Chunk chunk, CancellationTokenSource cancellation)
    {
        _channel = channel;
        _cancellation = cancellation;
        Chunk = chunk;
        Token = cancellation.Token;
    }

    /// <summary>Initializes a one-way message, cancelled only when the channel closes.</summary>
    public IncomingRequest(Channel channel, Chunk chunk, CancellationToken channelLifetime)
    {
        _channel = channel;
        Chunk = chunk;
        Token = channelLifetime;
    }

    public Chunk Chunk { get; private set; }

    public CancellationToken Token { get; private set; }

    /// <summary>Gets or sets a value indicating whether its handler holds its body's bytes from the channel's <see cref="LargeRequestBudget"/> (large requests only).</summary>
    public bool HoldsBudget { get; set; }

    /// <summary>Gets or sets the wait for those bytes, queued when the read loop dispatched a large request to the thread pool.</summary>
    public Task? BudgetWait { get; set; }

    /// <summary>
    /// Makes a request whose handler ended on the read loop, never entered in the in-flight table, the next request: the
    /// loop reuses it rather than allocating one per request.
    /// </summary>
    /// <remarks>
    /// A close may still cancel the request it saw running inline through a stale reference; it then cancels this one,
    /// which the close cancels anyway. The state is written last, so a cancel that sees it sees this request's source.
    /// </remarks>
    public void Reuse(Chunk chunk, CancellationTokenSource cancellation)
    {
        _cancellation = cancellation;
        Chunk = chunk;
        Token = cancellation.Token;
        HoldsBudget = false;
        BudgetWait = null;
        Volatile.Write(ref _state, 0);
    }

    /// <summary>Marks a request about to be handled inline, not entered in the in-flight table.</summary>
    public void MarkOutsideTable() => _state = OutsideTable;

    /// <summary>Records that the request was entered in the in-flight table because it goes on after the read loop moved on.</summary>
    /// <returns><see langword="false"/> if its handler had already ended: whoever entered it must take it out again.</returns>
    public bool MarkInTable()
    {
        int state = Volatile.Read(ref _state);
        while ((state & OutsideTable) != 0 && (state & (Finished | LeftTable)) == 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, state & ~OutsideTable, state);
            if (seen == state)
            {
                return true;
            }

            state = seen;
        }

        return (state & (Finished | LeftTable)) == 0;
    }

    /// <summary>Records that the request leaves the in-flight table now, before its answer goes out.</summary>
    /// <returns>Whether it was in the table: the caller takes it out.</returns>
    /// <remarks>
    /// The other side may send a request with the same thread id as soon as it reads the answer, so the entry must be gone
    /// by then. A request outside the table (handled inline) costs one read.
    /// </remarks>
    public bool LeaveTable()
    {
        int state = Volatile.Read(ref _state);
        while ((state & OutsideTable) == 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, state | OutsideTable | LeftTable, state);
            if (seen == state)
            {
                return true;
            }

            state = seen;
        }

        return false;
    }

    public void Execute() => _channel.RunHandlerAsync(this).Forget(); // never faults

    /// <summary>Signals the handler's token, unless the handler already finished.</summary>
    public void Cancel()
    {
        if (_cancellation is null)
        {
            return;
        }

        int state = Volatile.Read(ref _state);
        while ((state & (Cancelled | Finished)) == 0)
        {
            int seen = Interlocked.CompareExchange(ref _state, state | Cancelled, state);
            if (seen == state)
            {
                // Callbacks run off the caller's thread: the read loop must not run handler code.
                _cancellation.CancelAsync().Forget();
                return;
            }

            state = seen;
        }
    }

    /// <summary>Marks the handler done and recycles its token source if it was never cancelled.</summary>
    /// <param name="wasInTable">Whether the request is or was in the in-flight table: something may still hold it.</param>
    /// <returns>Whether the request is in the in-flight table, so that the caller takes it out (requests only).</returns>
    public bool Finish(out bool wasInTable)
    {
        int state = Interlocked.Or(ref _state, Finished);
        if ((state & (Cancelled | Finished)) == 0 && _cancellation is not null)
        {
            CancellationTokenSourcePool.Return(_cancellation);
        }

        bool inTable = (state & OutsideTable) == 0;
        wasInTable = inTable || (state & LeftTable) != 0;
        return inTable;
    }
}
