using System.Collections.Concurrent;
using System.Threading.Tasks.Sources;

namespace PluginIpc;

/// <summary>A request this side sent and whose response it awaits; pooled, so a call allocates no completion object.</summary>
/// <remarks>
/// Whoever removes the call from the channel's pending table completes it, exactly once. The caller returns it to the
/// pool after it has read the result and disposed the registrations that could still reach it.
/// </remarks>
internal sealed class PendingCall : IValueTaskSource<Chunk>
{
    private const int MaxPooled = 256;
    private static readonly ConcurrentQueue<PendingCall> s_pool = new();
    private static int s_pooled;

    private ManualResetValueTaskSourceCore<Chunk> _core = new() { RunContinuationsAsynchronously = true };

    private PendingCall()
    {
    }

    public Channel Channel { get; private set; } = null!;

    public ulong ThreadId { get; private set; }

    public string Cmd { get; private set; } = string.Empty;

    public TimeSpan Timeout { get; private set; }

    public CancellationToken CallerToken { get; private set; }

    public ValueTask<Chunk> Task => new(this, _core.Version);

    public static PendingCall Rent(Channel channel, ulong threadId, string cmd, TimeSpan timeout, CancellationToken callerToken)
    {
        if (s_pool.TryDequeue(out PendingCall? call))
        {
            Interlocked.Decrement(ref s_pooled);
        }
        else
        {
            call = new PendingCall();
        }

        call.Channel = channel;
        call.ThreadId = threadId;
        call.Cmd = cmd;
        call.Timeout = timeout;
        call.CallerToken = callerToken;
        return call;
    }

    /// <summary>Recycles a call whose result was read and which nothing can complete any more.</summary>
    public void Return()
    {
        _core.Reset();
        Channel = null!;
        CallerToken = default;
        if (Interlocked.Increment(ref s_pooled) <= MaxPooled)
        {
            s_pool.Enqueue(this);
        }
        else
        {
            Interlocked.Decrement(ref s_pooled);
        }
    }

    public void SetResult(Chunk response) => _core.SetResult(response);

    public void SetException(Exception error) => _core.SetException(error);

    public Chunk GetResult(short token) => _core.GetResult(token);

    public ValueTaskSourceStatus GetStatus(short token) => _core.GetStatus(token);

    public void OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);
}
