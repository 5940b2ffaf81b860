namespace PluginIpc;

/// <summary>A bounded, thread-safe ring that keeps the most recent items.</summary>
/// <typeparam name="T">The item type.</typeparam>
internal sealed class RingBuffer<T>
{
    private readonly T[] _items;
    private readonly Lock _lock = new();
    private int _next;
    private int _count;

    public RingBuffer(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _items = new T[capacity];
    }

    /// <summary>Adds an item, dropping the oldest one when full.</summary>
    public void Add(T item)
    {
        lock (_lock)
        {
            _items[_next] = item;
            _next = (_next + 1) % _items.Length;
            _count = Math.Min(_count + 1, _items.Length);
        }
    }

    /// <summary>Returns the kept items that match <paramref name="filter"/>, oldest first.</summary>
    public T[] Snapshot(Func<T, bool>? filter = null)
    {
        lock (_lock)
        {
            var result = new List<T>(_count);
            int start = (_next - _count + _items.Length) % _items.Length;
            for (int i = 0; i < _count; i++)
            {
                T item = _items[(start + i) % _items.Length];
                if (filter is null || filter(item))
                {
                    result.Add(item);
                }
            }

            return [.. result];
        }
    }
}
