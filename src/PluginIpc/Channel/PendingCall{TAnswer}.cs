using System.Runtime.CompilerServices;

namespace PluginIpc;

/// <summary>A pending call whose caller awaits a <typeparamref name="TAnswer"/> made from the response.</summary>
/// <typeparam name="TAnswer">What the caller gets: the answer's buffer, its text, or the whole chunk.</typeparam>
/// <remarks>
/// The caller's task is a bare promise from <see cref="AsyncTaskMethodBuilder{TResult}"/>, completed as an async method
/// would complete it (an <see cref="OperationCanceledException"/> cancels it), with no state machine behind it.
/// </remarks>
internal sealed class PendingCall<TAnswer> : PendingCall
{
    private AsyncTaskMethodBuilder<TAnswer> _builder;
    private Func<ReceivedChunk, TAnswer> _answer = null!;

    private PendingCall()
    {
    }

    /// <inheritdoc/>
    public override bool TakesPooledBuffer => (object?)Volatile.Read(ref _answer) == PooledBuffer.Answer;

    /// <summary>Gets the caller's task.</summary>
    public Task<TAnswer> Task { get; private set; } = null!;

    /// <summary>Rents a call from the pool, or makes one, for a request and the <paramref name="answer"/> that makes the caller's answer from its response.</summary>
    public static PendingCall<TAnswer> Rent(Channel channel, ulong threadId, string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, long deadline, Func<ReceivedChunk, TAnswer> answer, CancellationToken callerToken)
    {
        if (!RecyclePool<PendingCall<TAnswer>>.TryRent(out PendingCall<TAnswer>? call))
        {
            call = new PendingCall<TAnswer>();
        }

        call.Initialize(channel, threadId, cmd, buffer, headers, timeout, deadline, callerToken);
        call._answer = answer;
        call._builder = AsyncTaskMethodBuilder<TAnswer>.Create();
        call.Task = call._builder.Task;
        return call;
    }

    /// <summary>Recycles a call that was never sent and that nothing else can reach any more.</summary>
    public void Return()
    {
        Clear();
        _builder = default;
        _answer = null!;
        Task = null!;
        RecyclePool<PendingCall<TAnswer>>.TryReturn(this); // When the pool is full, the garbage collector takes it.
    }

    /// <inheritdoc/>
    protected override void Complete(in ReceivedChunk response, Exception? failure)
    {
        TAnswer answer = default!;
        if (failure is null)
        {
            try
            {
                if (response.Cmd == Commands.Error && Cmd != Commands.Error)
                {
                    failure = ErrorPayload.Decode(response.Buffer.Span, Cmd);
                }
                else
                {
                    answer = _answer(response);
                }
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        }

        if (failure is not null)
        {
            Telemetry.Fail(failure);
            failure = Channel.ExplainFailure(failure);
        }

        Telemetry.Stop();
        AsyncTaskMethodBuilder<TAnswer> builder = _builder;
        Return(); // First, so that a caller who calls again from its continuation reuses this call.
        if (failure is null)
        {
            builder.SetResult(answer);
        }
        else
        {
            builder.SetException(failure);
        }
    }
}
