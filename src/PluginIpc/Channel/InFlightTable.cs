using System.Diagnostics.CodeAnalysis;

namespace PluginIpc;

/// <summary>A thread-safe map from thread id to an exchange in flight; unlike a concurrent dictionary, adding allocates nothing in steady state.</summary>
/// <remarks>
/// Every call takes the table twice (add, remove), so it is guarded by a <see cref="SpinGate"/> rather than a
/// <see cref="Lock"/>. What runs under it is one dictionary operation, except in the rare whole-table operations (sweep,
/// snapshot, close).
/// </remarks>
/// <typeparam name="T">The in-flight exchange.</typeparam>
internal sealed class InFlightTable<T>
    where T : class
{
    private readonly Dictionary<ulong, T> _items = [];
    private readonly Action? _onEmptied;
    private readonly SpinGate _gate = new(holdsMayBeLong: false); // each hold is one dictionary operation

    /// <summary>The count as of the last change, for <see cref="Contains"/> to skip the gate when the table is empty.</summary>
    private int _count;

    /// <summary>Initializes a table.</summary>
    /// <param name="onEmptied">Called, outside the table's lock, after a removal that left the table empty.</param>
    public InFlightTable(Action? onEmptied = null) => _onEmptied = onEmptied;

    /// <summary>Gets the number of entries, under the gate.</summary>
    /// <remarks>
    /// Not <see cref="_count"/>: the timeout sweep asks this after it disarms, and taking the gate waits out an add whose
    /// release is not visible yet, so the sweep either sees the new call or the adder re-arms it.
    /// </remarks>
    public int Count
    {
        get
        {
            using (_gate.Enter())
            {
                return _items.Count;
            }
        }
    }

    public bool TryAdd(ulong threadId, T item) => TryAdd(threadId, item, out _);

    /// <summary>Whether an entry has <paramref name="threadId"/>; an empty table answers without taking the gate.</summary>
    public bool Contains(ulong threadId)
    {
        if (Volatile.Read(ref _count) == 0)
        {
            return false;
        }

        using (_gate.Enter())
        {
            return _items.ContainsKey(threadId);
        }
    }

    /// <summary>Adds an entry, and tells how many entries there are with it.</summary>
    public bool TryAdd(ulong threadId, T item, out int count)
    {
        using (_gate.Enter())
        {
            bool added = _items.TryAdd(threadId, item);
            count = _count = _items.Count;
            return added;
        }
    }

    public bool TryGet(ulong threadId, [MaybeNullWhen(false)] out T item)
    {
        using (_gate.Enter())
        {
            return _items.TryGetValue(threadId, out item);
        }
    }

    public bool TryRemove(ulong threadId, [MaybeNullWhen(false)] out T item)
    {
        bool emptied;
        using (_gate.Enter())
        {
            if (!_items.Remove(threadId, out item))
            {
                return false;
            }

            _count = _items.Count;
            emptied = _count == 0;
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
        using (_gate.Enter())
        {
            if (!_items.TryGetValue(threadId, out T? current) || !ReferenceEquals(current, item))
            {
                return false;
            }

            _items.Remove(threadId);
            _count = _items.Count;
            emptied = _count == 0;
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
        using (_gate.Enter())
        {
            all = [.. _items.Values];
            _items.Clear();
            _count = 0;
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
        using (_gate.Enter())
        {
            return [.. _items.Values];
        }
    }

    /// <summary>Removes the entries <paramref name="match"/> selects, atomically with the test.</summary>
    /// <returns>The removed entries, or <see langword="null"/> if none matched.</returns>
    public List<T>? RemoveWhere<TState>(Func<T, TState, bool> match, TState state)
    {
        List<T>? removed = null;
        bool emptied;
        using (_gate.Enter())
        {
            foreach (KeyValuePair<ulong, T> entry in _items)
            {
                if (match(entry.Value, state))
                {
                    _items.Remove(entry.Key); // Removing the current entry does not invalidate the enumeration.
                    (removed ??= []).Add(entry.Value);
                }
            }

            _count = _items.Count;
            emptied = removed is not null && _count == 0;
        }

        if (emptied)
        {
            _onEmptied?.Invoke();
        }

        return removed;
    }
}
