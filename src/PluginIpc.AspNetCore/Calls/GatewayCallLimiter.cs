namespace PluginIpc.AspNetCore.Calls;

/// <summary>Counts the plugin calls running through the whole gateway (every dialect and transport) against <see cref="PluginGatewayOptions.MaxConcurrentCalls"/>.</summary>
internal sealed class GatewayCallLimiter(int maxConcurrentCalls)
{
    private int _running;

    /// <summary>Gets how many calls run now.</summary>
    public int Running => Volatile.Read(ref _running);

    /// <summary>Gets the most calls that may run at once.</summary>
    public int Limit => maxConcurrentCalls;

    /// <summary>Takes a place for one call; <see langword="false"/> when all are taken.</summary>
    public bool TryAcquire()
    {
        if (Interlocked.Increment(ref _running) <= maxConcurrentCalls)
        {
            return true;
        }

        Interlocked.Decrement(ref _running);
        return false;
    }

    /// <summary>Gives back the place of a call that ended.</summary>
    public void Release() => Interlocked.Decrement(ref _running);
}
