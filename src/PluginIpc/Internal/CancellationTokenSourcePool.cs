using System.Collections.Concurrent;

namespace PluginIpc;

/// <summary>Reuses <see cref="CancellationTokenSource"/> instances that were never cancelled, so per-call timeouts and handler tokens allocate nothing in steady state.</summary>
internal static class CancellationTokenSourcePool
{
    private const int MaxPooled = 1024;
    private static readonly ConcurrentQueue<CancellationTokenSource> s_pool = new();
    private static int s_count;

    public static CancellationTokenSource Rent()
    {
        if (s_pool.TryDequeue(out CancellationTokenSource? source))
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
