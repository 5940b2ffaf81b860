namespace PluginIpc;

/// <summary>Where the reply to one request delivered to one subscriber goes: a reply, a decline (the handler returned without one), or a failure.</summary>
internal sealed class BusReplySlot
{
    private readonly TaskCompletionSource<byte[]?> _outcome = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private int _replied;

    /// <summary>Gets the outcome: the reply, <see langword="null"/> for a decline, or the handler's failure.</summary>
    public Task<byte[]?> Outcome => _outcome.Task;

    public bool SetReply(byte[] reply, string topic)
    {
        if (Interlocked.Exchange(ref _replied, 1) != 0)
        {
            throw new InvalidOperationException($"The request of topic '{topic}' was replied to already.");
        }

        return _outcome.TrySetResult(reply);
    }

    /// <summary>The handler returned: without a reply, that is a decline.</summary>
    public void Complete() => _outcome.TrySetResult(null);

    public void Fail(Exception failure)
    {
        _outcome.TrySetException(failure);
        _ = _outcome.Task.Exception; // observed: a requester that gave up must not leave it to the finalizer
    }
}
