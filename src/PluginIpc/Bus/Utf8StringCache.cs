namespace PluginIpc;

/// <summary>
/// The strings of the last few UTF-8 values read (topics, publisher names), so that a stream of messages of the same topic
/// decodes it once instead of once per message. Bounded (<see cref="Size"/> entries, each at most <see cref="MaxBytes"/>); thread safe.
/// </summary>
internal sealed class Utf8StringCache
{
    /// <summary>How many strings are kept; past it the oldest entry is replaced.</summary>
    public const int Size = 8;

    /// <summary>Longer values are decoded every time and not kept.</summary>
    public const int MaxBytes = BusTopics.MaxLength;

    private readonly Entry?[] _entries = new Entry?[Size];
    private int _next;

    /// <summary>Returns the string of <paramref name="utf8"/>: the one kept if it was seen lately, else a new one (kept).</summary>
    public string Get(ReadOnlySpan<byte> utf8)
    {
        if (utf8.IsEmpty)
        {
            return "";
        }

        foreach (Entry? entry in _entries)
        {
            if (entry is not null && utf8.SequenceEqual(entry.Utf8))
            {
                return entry.Text;
            }
        }

        string text = System.Text.Encoding.UTF8.GetString(utf8);
        if (utf8.Length <= MaxBytes)
        {
            // A race may replace an entry another thread just wrote: harmless, an entry is only ever a correct pair.
            _entries[(int)((uint)Interlocked.Increment(ref _next) % Size)] = new Entry(utf8.ToArray(), text);
        }

        return text;
    }

    private sealed record Entry(byte[] Utf8, string Text);
}
