namespace PluginIpc.AspNetCore.Transport;

/// <summary>Counts the gateway's open WebSocket connections against <see cref="PluginGatewayOptions.MaxConnections"/>.</summary>
internal sealed class ConnectionLimiter(int maxConnections)
{
    private int _open;

    public int Open => Volatile.Read(ref _open);

    public int Limit => maxConnections;

    public bool TryAcquire()
    {
        if (Interlocked.Increment(ref _open) <= maxConnections)
        {
            return true;
        }

        Interlocked.Decrement(ref _open);
        return false;
    }

    public void Release() => Interlocked.Decrement(ref _open);
}
