namespace PluginIpc;

/// <summary>A bounded ring of the most recent lines of a plugin's output.</summary>
/// <remarks>Thread safe: the readers of stderr and stdout add lines while callers take snapshots.</remarks>
internal sealed class OutputTail
{
    private readonly PluginOutputLine[] _lines;
    private readonly Lock _lock = new();
    private int _next;
    private int _count;

    /// <summary>Initializes a new instance that keeps up to <paramref name="capacity"/> lines.</summary>
    public OutputTail(int capacity)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(capacity);
        _lines = new PluginOutputLine[capacity];
    }

    /// <summary>Adds a line, dropping the oldest one when full.</summary>
    public void Add(PluginOutputLine line)
    {
        lock (_lock)
        {
            _lines[_next] = line;
            _next = (_next + 1) % _lines.Length;
            _count = Math.Min(_count + 1, _lines.Length);
        }
    }

    /// <summary>Returns the kept lines, oldest first, optionally only those from <paramref name="source"/>.</summary>
    public PluginOutputLine[] Snapshot(PluginOutputSource? source = null)
    {
        lock (_lock)
        {
            var result = new List<PluginOutputLine>(_count);
            int start = (_next - _count + _lines.Length) % _lines.Length;
            for (int i = 0; i < _count; i++)
            {
                PluginOutputLine line = _lines[(start + i) % _lines.Length];
                if (source is null || line.Source == source)
                {
                    result.Add(line);
                }
            }

            return [.. result];
        }
    }
}
