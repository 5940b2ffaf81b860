namespace PluginIpc;

/// <summary>A topic pattern in which each <c>*</c> matches any run of characters (dots included) and everything else matches itself.</summary>
internal sealed class TopicPattern
{
    private readonly string[] _parts;

    public TopicPattern(string pattern)
    {
        Text = pattern;
        _parts = pattern.Split('*');
    }

    public string Text { get; }

    public bool IsMatch(string topic) => Matches(_parts, topic);

    /// <summary>
    /// Returns whether every topic that <paramref name="narrower"/> matches also matches this pattern: true when this pattern
    /// matches <paramref name="narrower"/>'s text with its <c>*</c> taken as characters, since each of them then falls inside one of ours.
    /// </summary>
    public bool Covers(string narrower) => Matches(_parts, narrower);

    private static bool Matches(string[] parts, string topic)
    {
        ReadOnlySpan<char> rest = topic;
        if (parts.Length == 1)
        {
            return rest.SequenceEqual(parts[0]);
        }

        // The first part anchors the start, the last one the end; the middle ones are found leftmost, which is enough for '*'.
        string first = parts[0];
        string last = parts[^1];
        if (!rest.StartsWith(first, StringComparison.Ordinal))
        {
            return false;
        }

        rest = rest[first.Length..];
        for (int i = 1; i < parts.Length - 1; i++)
        {
            int at = rest.IndexOf(parts[i], StringComparison.Ordinal);
            if (at < 0)
            {
                return false;
            }

            rest = rest[(at + parts[i].Length)..];
        }

        return rest.EndsWith(last, StringComparison.Ordinal);
    }
}
