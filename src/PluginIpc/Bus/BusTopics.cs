using System.Text;

namespace PluginIpc;

/// <summary>The rules of topics: what is valid, the application prefix of <c>:topic</c>, and the system topics.</summary>
internal static class BusTopics
{
    /// <summary>The prefix of system topics, which every plugin receives without subscribing.</summary>
    public const string SystemPrefix = "sys.";

    /// <summary>The system topic whose messages run each plugin's <see cref="MainOptions.OnConfigChanged"/>.</summary>
    public const string ConfigChanged = "sys.config.changed";

    /// <summary>The system topic whose message (a JSON array of plugin names) restarts those plugins on every host.</summary>
    public const string Restart = "sys.restart";

    /// <summary>The longest topic or pattern, in UTF-8 bytes.</summary>
    public const int MaxLength = 256;

    /// <summary>The longest topic between hosts: a <c>:topic</c> of <see cref="MaxLength"/> gains its application id (shorter than that).</summary>
    public const int MaxExpandedLength = 2 * MaxLength;

    /// <summary>The most <c>*</c> in one pattern: matching costs a scan per star.</summary>
    public const int MaxStars = 8;

    public static bool IsSystem(string topic) => topic.StartsWith(SystemPrefix, StringComparison.Ordinal);

    /// <summary>Checks a topic (no <c>*</c>) or, with <paramref name="pattern"/>, a pattern.</summary>
    /// <exception cref="ArgumentException">It is empty, too long, has a control character, or (a topic) a <c>*</c>.</exception>
    public static void Validate(string topic, string parameter, bool pattern = false)
    {
        ArgumentNullException.ThrowIfNull(topic, parameter);
        if (Problem(topic, pattern) is { } problem)
        {
            throw new ArgumentException(problem, parameter);
        }
    }

    /// <summary>Returns why <paramref name="topic"/> is not valid, or <see langword="null"/>.</summary>
    /// <param name="topic">The topic or pattern.</param>
    /// <param name="pattern">Whether it is a pattern.</param>
    /// <param name="maxLength">Its longest length in UTF-8 bytes: <see cref="MaxExpandedLength"/> for one expanded already.</param>
    public static string? Problem(string topic, bool pattern, int maxLength = MaxLength)
    {
        if (topic.Length == 0)
        {
            return "A topic may not be empty.";
        }

        if (Encoding.UTF8.GetByteCount(topic) > maxLength)
        {
            return $"The topic '{topic[..Math.Min(topic.Length, 40)]}...' is longer than {maxLength} UTF-8 bytes.";
        }

        foreach (char c in topic)
        {
            if (char.IsControl(c))
            {
                return $"The topic '{topic}' contains a control character (U+{(int)c:X4}).";
            }
        }

        if (!pattern && topic.Contains('*', StringComparison.Ordinal))
        {
            return $"The topic '{topic}' contains '*': a topic is never a pattern; subscribe to patterns with SubscribePatternAsync.";
        }

        if (pattern && topic.Count(c => c == '*') > MaxStars)
        {
            return $"The pattern '{topic}' has more than {MaxStars} '*'.";
        }

        return null;
    }

    /// <summary>Gives <c>:topic</c> the application's prefix: <c>{applicationId}:topic</c>.</summary>
    /// <summary>
    /// Returns why a topic (or pattern) a plugin sent is not valid, or <see langword="null"/>: one its SDK expanded already
    /// (<paramref name="applicationId"/> and <c>:</c> first) is checked as the <c>:topic</c> it came from, since the prefix
    /// does not count against <see cref="MaxLength"/>.
    /// </summary>
    public static string? ProblemOfSent(string topic, bool pattern, string? applicationId) =>
        applicationId is not null && topic.Length > applicationId.Length && topic[applicationId.Length] == ':' && topic.StartsWith(applicationId, StringComparison.Ordinal)
            ? Problem(topic[applicationId.Length..], pattern)
            : Problem(topic, pattern);

    public static string Expand(string topic, string? applicationId) =>
        applicationId is not null && topic.Length > 0 && topic[0] == ':' ? applicationId + topic : topic;
}
