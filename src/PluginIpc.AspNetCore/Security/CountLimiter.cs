namespace PluginIpc.AspNetCore.Security;

/// <summary>Counts what is in use (connections, calls) against a limit, without waiting: one more is refused at once.</summary>
internal abstract class CountLimiter(int limit)
{
    private int _inUse;

    /// <summary>Gets how many places are taken now.</summary>
    public int InUse => Volatile.Read(ref _inUse);

    /// <summary>Gets how many places there are.</summary>
    public int Limit => limit;

    /// <summary>Takes a place; <see langword="false"/> when all are taken.</summary>
    public bool TryAcquire()
    {
        if (Interlocked.Increment(ref _inUse) <= limit)
        {
            return true;
        }

        Interlocked.Decrement(ref _inUse);
        return false;
    }

    /// <summary>Gives back a place taken with <see cref="TryAcquire"/>.</summary>
    public void Release() => Interlocked.Decrement(ref _inUse);
}
