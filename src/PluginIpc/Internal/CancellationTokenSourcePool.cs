using System.Collections.Concurrent;

namespace PluginIpc;

/// <summary>Reuses <see cref="CancellationTokenSource"/> instances that were never cancelled, so per-call timeouts and handler tokens allocate nothing in steady state.</summary>
/// <remarks>
/// Each thread keeps one spare source of its own, taken and given back with no atomic operation: a request handled inline
/// on a read loop rents and returns its token's source on that thread. The others share a queue.
/// </remarks>
internal static class CancellationTokenSourcePool
{
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<CancellationTokenSource> s_pool = new();
    private static int s_count;

    [ThreadStatic]
    private static CancellationTokenSource? t_spare;

    public static CancellationTokenSource Rent()
    {
        CancellationTokenSource? source = t_spare;
        if (source is not null)
        {
            t_spare = null;
            return source;
        }

        if (s_pool.TryDequeue(out source))
        {
            Interlocked.Decrement(ref s_count);
            return source;
        }

        return new CancellationTokenSource();
    }

    /// <summary>Returns <paramref name="source"/> to the pool if it can be reset; otherwise disposes it.</summary>
    public static void Return(CancellationTokenSource source)
    {
        if (source.TryReset())
        {
            if (t_spare is null)
            {
                t_spare = source;
                return;
            }

            if (Interlocked.Increment(ref s_count) <= MaxPooled)
            {
                s_pool.Enqueue(source);
                return;
            }

            Interlocked.Decrement(ref s_count);
        }

        source.Dispose();
    }
}
