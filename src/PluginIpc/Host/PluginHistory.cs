namespace PluginIpc;

/// <summary>
/// What the host keeps of one plugin's past, across its restarts (and, in a <see cref="PluginManager"/>, across new
/// <see cref="Plugin"/> instances of the same name): its recent log entries and output lines, bounded in count and bytes,
/// and its recent exits.
/// </summary>
/// <remarks>Thread safe: output readers, the channel's log handler and queries use it at once.</remarks>
internal sealed class PluginHistory
{
    /// <summary>How many exits are kept.</summary>
    public const int ExitCapacity = 20;

    /// <summary>What an entry costs beyond its text: the record, its timestamp and the queue's slot, roughly.</summary>
    private const int EntryOverheadBytes = 96;

    private readonly Queue<PluginLogEntry> _logs = new();
    private readonly RingBuffer<PluginExit> _exits = new(ExitCapacity);
    private readonly Lock _lock = new();
    private int _capacity;
    private long _byteCapacity;
    private int _maxTextLength;
    private long _bytes;

    public PluginHistory(int capacity, long byteCapacity, int maxTextLength) => Resize(capacity, byteCapacity, maxTextLength);

    /// <summary>Takes the bounds of a new <see cref="Plugin"/> of the same name; the oldest entries go if they no longer fit.</summary>
    public void Resize(int capacity, long byteCapacity, int maxTextLength)
    {
        lock (_lock)
        {
            _capacity = capacity;
            _byteCapacity = byteCapacity;
            _maxTextLength = maxTextLength;
            Trim();
        }
    }

    /// <summary>Adds an entry, cutting a text longer than the plugin's <see cref="PluginOptions.MaxOutputLineLength"/>, and drops the oldest entries over the bounds.</summary>
    public void Add(PluginLogEntry entry)
    {
        lock (_lock)
        {
            entry = Cut(entry, _maxTextLength);
            _logs.Enqueue(entry);
            _bytes += SizeOf(entry);
            Trim();
        }
    }

    /// <summary>Returns the kept entries, oldest first.</summary>
    public PluginLogEntry[] Logs()
    {
        lock (_lock)
        {
            return [.. _logs];
        }
    }

    /// <summary>Returns up to <see cref="PluginLogQuery.MaxEntries"/> entries that match <paramref name="query"/>, newest first.</summary>
    public List<PluginLogEntry> Query(PluginLogQuery query)
    {
        PluginLogEntry[] all = Logs(); // matched off the lock: a query never holds up the plugin's output
        var result = new List<PluginLogEntry>(Math.Min(query.MaxEntries, all.Length));
        for (int i = all.Length - 1; i >= 0 && result.Count < query.MaxEntries; i--)
        {
            if (query.Matches(all[i]))
            {
                result.Add(all[i]);
            }
        }

        return result;
    }

    /// <summary>Records an exit.</summary>
    public void AddExit(PluginExit exit) => _exits.Add(exit);

    /// <summary>Returns the kept exits, newest first.</summary>
    public PluginExit[] Exits()
    {
        PluginExit[] exits = _exits.Snapshot();
        Array.Reverse(exits);
        return exits;
    }

    private static long SizeOf(PluginLogEntry entry) =>
        EntryOverheadBytes + (2L * (entry.Message.Length + entry.Category.Length + (entry.Exception?.Length ?? 0)));

    private static PluginLogEntry Cut(PluginLogEntry entry, int maxLength)
    {
        if (entry.Message.Length <= maxLength && (entry.Exception?.Length ?? 0) <= maxLength && entry.Category.Length <= maxLength)
        {
            return entry;
        }

        return entry with { Message = CutText(entry.Message, maxLength)!, Category = CutText(entry.Category, maxLength)!, Exception = CutText(entry.Exception, maxLength) };
    }

    private static string? CutText(string? text, int maxLength) =>
        text is null || text.Length <= maxLength ? text : string.Concat(text.AsSpan(0, maxLength), $" [{text.Length - maxLength} more chars cut]");

    private void Trim()
    {
        // The newest entry always stays, even one larger than the byte bound alone (its text is already cut to the line length).
        while (_logs.Count > 1 && (_logs.Count > _capacity || _bytes > _byteCapacity))
        {
            _bytes -= SizeOf(_logs.Dequeue());
        }
    }
}
