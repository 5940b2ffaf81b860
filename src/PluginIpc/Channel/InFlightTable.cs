using System.Diagnostics.CodeAnalysis;

namespace PluginIpc;

/// <summary>A thread-safe map from thread id to an exchange in flight; unlike a concurrent dictionary, adding allocates nothing in steady state.</summary>
/// <remarks>
/// Every call takes the table twice (add, remove), so it is guarded by a spin lock of one compare-and-swap rather than a
/// <see cref="Lock"/>, which costs about twice as much uncontended. What runs under it is one dictionary operation, except
/// in the rare whole-table operations (sweep, snapshot, close).
/// </remarks>
/// <typeparam name="T">The in-flight exchange.</typeparam>
internal sealed class InFlightTable<T>
    where T : class
{
    private readonly Dictionary<ulong, T> _items = [];
    private readonly Action? _onEmptied;
    private int _busy;

    /// <summary>Initializes a table.</summary>
    /// <param name="onEmptied">Called, outside the table's lock, after a removal that left the table empty.</param>
    public InFlightTable(Action? onEmptied = null) => _onEmptied = onEmptied;

    public int Count
    {
        get
        {
            Enter();
            try
            {
                return _items.Count;
            }
            finally
            {
                Exit();
            }
        }
    }

    public bool TryAdd(ulong threadId, T item) => TryAdd(threadId, item, out _);

    /// <summary>Adds an entry, and tells how many entries there are with it.</summary>
    public bool TryAdd(ulong threadId, T item, out int count)
    {
        Enter();
        try
        {
            bool added = _items.TryAdd(threadId, item);
            count = _items.Count;
            return added;
        }
        finally
        {
            Exit();
        }
    }

    public bool TryGet(ulong threadId, [MaybeNullWhen(false)] out T item)
    {
        Enter();
        try
        {
            return _items.TryGetValue(threadId, out item);
        }
        finally
        {
            Exit();
        }
    }

    public bool TryRemove(ulong threadId, [MaybeNullWhen(false)] out T item)
    {
        bool emptied;
        Enter();
        try
        {
            if (!_items.Remove(threadId, out item))
            {
                return false;
            }

            emptied = _items.Count == 0;
        }
        finally
        {
            Exit();
        }

        if (emptied)
        {
            _onEmptied?.Invoke();
        }

        return true;
    }

    /// <summary>Removes the entry only if it is still <paramref name="item"/>.</summary>
    public bool TryRemove(ulong threadId, T item)
    {
        bool emptied;
        Enter();
        try
        {
            if (!_items.TryGetValue(threadId, out T? current) || !ReferenceEquals(current, item))
            {
                return false;
            }

            _items.Remove(threadId);
            emptied = _items.Count == 0;
        }
        finally
        {
            Exit();
        }

        if (emptied)
        {
            _onEmptied?.Invoke();
        }

        return true;
    }

    /// <summary>Removes and returns every entry.</summary>
    public T[] RemoveAll()
    {
        T[] all;
        Enter();
        try
        {
            all = [.. _items.Values];
            _items.Clear();
        }
        finally
        {
            Exit();
        }

        if (all.Length > 0)
        {
            _onEmptied?.Invoke();
        }

        return all;
    }

    /// <summary>Returns every entry, leaving them in place.</summary>
    public T[] Snapshot()
    {
        Enter();
        try
        {
            return [.. _items.Values];
        }
        finally
        {
            Exit();
        }
    }

    /// <summary>Removes the entries <paramref name="match"/> selects, atomically with the test.</summary>
    /// <returns>The removed entries, or <see langword="null"/> if none matched.</returns>
    public List<T>? RemoveWhere<TState>(Func<T, TState, bool> match, TState state)
    {
        List<T>? removed = null;
        bool emptied;
        Enter();
        try
        {
            foreach (KeyValuePair<ulong, T> entry in _items)
            {
                if (match(entry.Value, state))
                {
                    _items.Remove(entry.Key); // Removing the current entry does not invalidate the enumeration.
                    (removed ??= []).Add(entry.Value);
                }
            }

            emptied = removed is not null && _items.Count == 0;
        }
        finally
        {
            Exit();
        }

        if (emptied)
        {
            _onEmptied?.Invoke();
        }

        return removed;
    }

    /// <summary>Takes the table's lock: one compare-and-swap when it is free, a short spin and yield when it is not.</summary>
    private void Enter()
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            EnterContended();
        }
    }

    private void EnterContended()
    {
        var spinner = default(SpinWait);
        do
        {
            spinner.SpinOnce(sleep1Threshold: -1); // Yields rather than sleeps: the holder runs for a dictionary operation.
        }
        while (Volatile.Read(ref _busy) != 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0);
    }

    private void Exit() => Volatile.Write(ref _busy, 0);
}
