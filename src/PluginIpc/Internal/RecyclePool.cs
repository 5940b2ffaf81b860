using System.Collections.Concurrent;
using System.Diagnostics.CodeAnalysis;

namespace PluginIpc;

/// <summary>
/// A process-wide store of reusable objects of one type: one spare per thread, taken and given back with no atomic
/// operation; one spare shared by all threads, taken and given back with one; and a queue shared by all threads that holds
/// at most <see cref="MaxShared"/> more.
/// </summary>
/// <remarks>
/// The thread's spare serves code that rents and returns on the same thread, as a read loop does for the requests it
/// handles inline. The shared spare serves one object going back and forth between two threads, as a call made by a
/// thread outside the pool and ended by a read loop does. Callers reset an object before they return it; the store never
/// looks inside.
/// </remarks>
/// <typeparam name="T">The type of the objects.</typeparam>
internal static class RecyclePool<T>
    where T : class
{
    /// <summary>The most objects the shared queue holds; what comes back beyond that is left to the garbage collector.</summary>
    public const int MaxShared = 1024;

    private static readonly ConcurrentQueue<T> s_shared = new();
    private static int s_sharedCount;
    private static T? s_sharedSpare;

    [ThreadStatic]
    private static T? t_spare;

    /// <summary>Takes a stored object, if there is one.</summary>
    public static bool TryRent([NotNullWhen(true)] out T? item)
    {
        item = t_spare;
        if (item is not null)
        {
            t_spare = null;
            return true;
        }

        if (Volatile.Read(ref s_sharedSpare) is not null && (item = Interlocked.Exchange(ref s_sharedSpare, null)) is not null)
        {
            return true;
        }

        if (s_shared.TryDequeue(out item))
        {
            Interlocked.Decrement(ref s_sharedCount);
            return true;
        }

        return false;
    }

    /// <summary>Stores <paramref name="item"/> for reuse, unless the store is full.</summary>
    /// <returns><see langword="false"/> if the store is full: the caller drops (or disposes) the object.</returns>
    public static bool TryReturn(T item)
    {
        if (t_spare is null)
        {
            t_spare = item;
            return true;
        }

        if (Volatile.Read(ref s_sharedSpare) is null && Interlocked.CompareExchange(ref s_sharedSpare, item, null) is null)
        {
            return true;
        }

        if (Interlocked.Increment(ref s_sharedCount) <= MaxShared)
        {
            s_shared.Enqueue(item);
            return true;
        }

        Interlocked.Decrement(ref s_sharedCount);
        return false;
    }
}
