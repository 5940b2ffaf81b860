namespace PluginIpc;

/// <summary>Reuses <see cref="CancellationTokenSource"/> instances that were never cancelled, so per-call timeouts and handler tokens allocate nothing in steady state.</summary>
/// <remarks>
/// Stored in a <see cref="RecyclePool{T}"/>: a request handled inline on a read loop rents and returns its token's source
/// on that thread, with no atomic operation.
/// </remarks>
internal static class CancellationTokenSourcePool
{
    public static CancellationTokenSource Rent() =>
        RecyclePool<CancellationTokenSource>.TryRent(out CancellationTokenSource? source) ? source : new CancellationTokenSource();

    /// <summary>Returns <paramref name="source"/> to the pool if it can be reset; otherwise, or if the pool is full, disposes it.</summary>
    public static void Return(CancellationTokenSource source)
    {
        if (!source.TryReset() || !RecyclePool<CancellationTokenSource>.TryReturn(source))
        {
            source.Dispose();
        }
    }
}
