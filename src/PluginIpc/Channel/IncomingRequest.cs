namespace PluginIpc;

/// <summary>A request or one-way message from the other side, queued for its handler.</summary>
/// <remarks>
/// A request owns a pooled <see cref="CancellationTokenSource"/>. Cancel and finish race through one state field, so the
/// source goes back to the pool only when no cancel can reach it any more.
/// <para>
/// A request whose handler runs inline on the read loop stays out of the channel's in-flight table unless it goes on
/// after the loop moves on: its handler goes async, or holds the loop so long that reading goes on elsewhere. The loop
/// ending the handler and the guard putting it in the table race through a second state field, so that whoever comes
/// second takes the entry out again.
/// </para>
/// </remarks>
internal sealed class IncomingRequest : IThreadPoolWorkItem
{
    private const int Running = 0;
    private const int Cancelled = 1;
    private const int Finished = 2;

    private const int OutsideTable = 0;
    private const int InTable = 1;
    private const int Ended = 2;

    private readonly Channel _channel;
    private readonly CancellationTokenSource? _cancellation;
    private int _state;
    private int _tableState = InTable;

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

    public Chunk Chunk { get; }

    public CancellationToken Token { get; }

    /// <summary>Marks a request about to be handled inline, not entered in the in-flight table.</summary>
    public void MarkOutsideTable() => _tableState = OutsideTable;

    /// <summary>Records that the request was entered in the in-flight table because it goes on after the read loop moved on.</summary>
    /// <returns><see langword="false"/> if its handler had already ended: whoever entered it must take it out again.</returns>
    public bool MarkInTable() => Interlocked.CompareExchange(ref _tableState, InTable, OutsideTable) != Ended;

    /// <summary>Records that the request's handler ended.</summary>
    /// <returns>Whether the request is in the in-flight table, so that the caller takes it out.</returns>
    public bool EndInTable() => Interlocked.Exchange(ref _tableState, Ended) == InTable;

    public void Execute() => _channel.RunHandlerAsync(this).Forget(); // never faults

    /// <summary>Signals the handler's token, unless the handler already finished.</summary>
    public void Cancel()
    {
        if (_cancellation is not null && Interlocked.CompareExchange(ref _state, Cancelled, Running) == Running)
        {
            // Callbacks run off the caller's thread: the read loop must not run handler code.
            _cancellation.CancelAsync().Forget();
        }
    }

    /// <summary>Marks the handler done and recycles its token source if it was never cancelled.</summary>
    public void Finish()
    {
        if (Interlocked.CompareExchange(ref _state, Finished, Running) == Running && _cancellation is not null)
        {
            CancellationTokenSourcePool.Return(_cancellation);
        }
    }
}
