namespace PluginIpc.Contracts;

/// <summary>The callee's side of a progress argument: reports go to the caller until the call ends.</summary>
internal abstract class RemoteProgress
{
    private readonly Lock _gate = new();
    private List<Task>? _sending;
    private volatile bool _ended;

    /// <summary>Gets a value indicating whether the call has ended: reports are dropped from then on.</summary>
    protected bool Ended => _ended;

    /// <summary>Drops the reports made from now on, and waits for those already handed to the channel: the answer must follow them.</summary>
    public Task EndAsync()
    {
        _ended = true;
        lock (_gate)
        {
            return _sending is { Count: > 0 } sending ? Task.WhenAll(sending) : Task.CompletedTask;
        }
    }

    /// <summary>Remembers a report that waits for room in the channel's writer, so that the answer waits for it too.</summary>
    protected void Track(Task sending)
    {
        lock (_gate)
        {
            (_sending ??= []).RemoveAll(static task => task.IsCompleted);
            _sending.Add(sending);
        }
    }
}
