namespace PluginIpc;

/// <summary>
/// The topics a plugin may publish or subscribe to: <see langword="null"/> entries mean every topic but the system ones; otherwise
/// each entry is a topic or pattern, and a system topic needs an entry that itself starts with <c>sys.</c>.
/// </summary>
internal sealed class TopicAllowList
{
    private readonly TopicPattern[]? _entries;

    public TopicAllowList(IEnumerable<string>? entries, string? applicationId)
    {
        _entries = entries?.Select(entry => new TopicPattern(BusTopics.Expand(entry, applicationId))).ToArray();
    }

    /// <summary>Gets the entries as given (expanded), or <see langword="null"/> when any non-system topic is allowed.</summary>
    public IReadOnlyList<string>? Entries => _entries?.Select(entry => entry.Text).ToArray();

    /// <summary>Returns whether <paramref name="topic"/> (a topic, or a pattern taken as the set of topics it matches) is allowed.</summary>
    public bool Allows(string topic)
    {
        bool system = BusTopics.IsSystem(topic);
        if (_entries is null)
        {
            return !system;
        }

        foreach (TopicPattern entry in _entries)
        {
            if ((!system || BusTopics.IsSystem(entry.Text)) && entry.Covers(topic))
            {
                return true;
            }
        }

        return false;
    }
}
