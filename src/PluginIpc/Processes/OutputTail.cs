namespace PluginIpc;

/// <summary>A bounded ring of the most recent lines of a plugin's output.</summary>
/// <remarks>Thread safe: the readers of stderr and stdout add lines while callers take snapshots.</remarks>
internal sealed class OutputTail
{
    private readonly RingBuffer<PluginOutputLine> _lines;

    /// <summary>Initializes a new instance that keeps up to <paramref name="capacity"/> lines.</summary>
    public OutputTail(int capacity) => _lines = new RingBuffer<PluginOutputLine>(capacity);

    /// <summary>Adds a line, dropping the oldest one when full.</summary>
    public void Add(PluginOutputLine line) => _lines.Add(line);

    /// <summary>Returns the kept lines, oldest first, optionally only those from <paramref name="source"/>.</summary>
    public PluginOutputLine[] Snapshot(PluginOutputSource? source = null) =>
        source is { } only ? _lines.Snapshot(line => line.Source == only) : _lines.Snapshot();
}
