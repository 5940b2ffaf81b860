namespace PluginIpc.AspNetCore.Security;

/// <summary>
/// The topics of <see cref="PluginGatewayOptions.AllowedTopics"/>: exact topics, or patterns whose <c>*</c> matches any run of
/// characters. A system topic (<c>sys.</c>) is allowed only when listed exactly: a pattern never reaches the host's own messages.
/// </summary>
internal sealed class TopicAllowList(IEnumerable<string> patterns)
{
    private const string SystemPrefix = "sys.";

    private readonly string[][] _patterns = [.. patterns.Select(p => p.Split('*'))];

    public bool Allows(string topic)
    {
        // sys.config.changed names every plugin's changed keys, sys.restart the plugins restarted: never given away by "*".
        bool system = topic.StartsWith(SystemPrefix, StringComparison.Ordinal);
        return _patterns.Any(parts => (!system || parts.Length == 1) && Matches(parts, topic));
    }

    private static bool Matches(string[] parts, string topic)
    {
        if (parts.Length == 1)
        {
            return string.Equals(parts[0], topic, StringComparison.Ordinal);
        }

        if (!topic.StartsWith(parts[0], StringComparison.Ordinal) || !topic.EndsWith(parts[^1], StringComparison.Ordinal)
            || topic.Length < parts[0].Length + parts[^1].Length)
        {
            return false;
        }

        // Greedy left to right is exact for '*' only patterns: each middle part is found at its earliest place.
        int position = parts[0].Length;
        int end = topic.Length - parts[^1].Length;
        for (int i = 1; i < parts.Length - 1; i++)
        {
            int found = topic.IndexOf(parts[i], position, end - position, StringComparison.Ordinal);
            if (found < 0)
            {
                return false;
            }

            position = found + parts[i].Length;
        }

        return true;
    }
}
