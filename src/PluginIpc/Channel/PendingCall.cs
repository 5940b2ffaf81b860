using System.Threading.Tasks.Sources;

namespace PluginIpc;

/// <summary>A request this side sent and whose response it awaits; pooled, so a call allocates no completion object.</summary>
/// <remarks>
/// Whoever removes the call from the channel's pending table completes it, exactly once. The caller returns it to the
/// pool after it has read the result and disposed the registrations that could still reach it. A response may run the
/// caller's continuation inline (the read loop does, under its guard); a failure never does.
/// </remarks>
internal sealed class PendingCall : IValueTaskSource<Chunk>
{
    private ManualResetValueTaskSourceCore<Chunk> _core = new() { RunContinuationsAsynchronously = true };

    private PendingCall()
    {
    }

    public Channel Channel { get; private set; } = null!;

    public ulong ThreadId { get; private set; }

    public string Cmd { get; private set; } = string.Empty;

    public TimeSpan Timeout { get; private set; }

    /// <summary>Gets the <see cref="Environment.TickCount64"/> after which the channel's sweep times the call out, or 0 if it has no such deadline.</summary>
    public long Deadline { get; private set; }

    public CancellationToken CallerToken { get; private set; }

    /// <summary>Gets or sets a value indicating whether other calls were in flight when this one was entered.</summary>
    public bool OthersInFlight { get; set; }

    /// <summary>Gets the request's body, until the call is recycled.</summary>
    public ReadOnlyMemory<byte> Buffer { get; private set; }

    /// <summary>Gets the request's headers as the caller gave them, until the call is recycled (trace context is added to a copy when it is sent).</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; private set; }

    /// <summary>The call's telemetry scope; a field, so the scope is updated in place.</summary>
    public ChannelTelemetry.CallScope Telemetry;

    /// <summary>Gets or sets the registration that withdraws the call when the caller's token fires.</summary>
    public CancellationTokenRegistration CallerRegistration { get; set; }

    /// <summary>Gets or sets the timer of a timeout too short for the channel's sweep, if the call has one.</summary>
    public CancellationTokenSource? Timer { get; set; }

    /// <summary>Gets or sets the registration that times the call out when <see cref="Timer"/> fires.</summary>
    public CancellationTokenRegistration TimerRegistration { get; set; }

    public ValueTask<Chunk> Task => new(this, _core.Version);

    public static PendingCall Rent(Channel channel, ulong threadId, string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, long deadline, CancellationToken callerToken)
    {
        if (!RecyclePool<PendingCall>.TryRent(out PendingCall? call))
        {
            call = new PendingCall();
        }

        call.Channel = channel;
        call.ThreadId = threadId;
        call.Cmd = cmd;
        call.Buffer = buffer;
        call.Headers = headers;
        call.Timeout = timeout;
        call.Deadline = deadline;
        call.CallerToken = callerToken;
        return call;
    }

    /// <summary>Recycles a call whose result was read and which nothing can complete any more.</summary>
    public void Return()
    {
        _core.Reset();
        Channel = null!;
        CallerToken = default;
        Buffer = default;
        Headers = null;
        Telemetry = default;
        CallerRegistration = default;
        Timer = null;
        TimerRegistration = default;
        RecyclePool<PendingCall>.TryReturn(this); // When the pool is full, the garbage collector takes it.
    }

    /// <summary>Completes the call with its response.</summary>
    /// <param name="response">The response.</param>
    /// <param name="runContinuationInline">Run the caller's continuation on this thread, as the read loop does under its guard.</param>
    public void SetResult(Chunk response, bool runContinuationInline)
    {
        _core.RunContinuationsAsynchronously = !runContinuationInline;
        _core.SetResult(response);
    }

    /// <summary>Fails the call; the caller's continuation runs on the thread pool, never on the failing thread.</summary>
    public void SetException(Exception error)
    {
        _core.RunContinuationsAsynchronously = true;
        _core.SetException(error);
    }

    public Chunk GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
