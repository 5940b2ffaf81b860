namespace PluginIpc.Contracts;

/// <summary>The callee's side of a progress argument: reports go to the caller until the call ends.</summary>
internal abstract class RemoteProgress
{
    private volatile bool _ended;

    /// <summary>Gets a value indicating whether the call has ended: reports are dropped from then on.</summary>
    protected bool Ended => _ended;

    /// <summary>Drops the reports made from now on: the call has ended.</summary>
    public void End() => _ended = true;
}
