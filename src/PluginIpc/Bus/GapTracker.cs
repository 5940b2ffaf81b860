namespace PluginIpc;

/// <summary>The last sequence number one subscriber saw per topic and origin, to tell it how many messages it missed.</summary>
/// <remarks>Used by one pump at a time. Bounded: past <see cref="MaxTracked"/> topics it starts over, and the next message of each counts no gap.</remarks>
internal sealed class GapTracker
{
    public const int MaxTracked = 4096;

    private readonly Dictionary<(string Topic, string Origin), long> _last = [];

    // The key of the previous message and its number, kept out of the dictionary: a run of one topic costs no lookups.
    private string? _currentTopic;
    private string _currentOrigin = "";
    private long _current;

    /// <summary>Returns how many messages came between the previous one of the envelope's topic and origin and this one.</summary>
    public long Missed(BusEnvelope envelope)
    {
        if (envelope.Sequence <= 0)
        {
            return 0; // requests carry no sequence
        }

        long last;
        if (_currentTopic is not null && Same(envelope.Topic, _currentTopic) && Same(envelope.Origin, _currentOrigin))
        {
            last = _current;
        }
        else
        {
            if (_currentTopic is not null)
            {
                if (!_last.ContainsKey((_currentTopic, _currentOrigin)) && _last.Count >= MaxTracked)
                {
                    _last.Clear();
                }

                _last[(_currentTopic, _currentOrigin)] = _current;
            }

            _last.TryGetValue((envelope.Topic, envelope.Origin), out last);
            _currentTopic = envelope.Topic;
            _currentOrigin = envelope.Origin;
        }

        _current = envelope.Sequence;

        // A number that does not grow means its origin started over (a restarted host): no gap.
        return last > 0 && envelope.Sequence > last + 1 ? envelope.Sequence - last - 1 : 0;
    }

    private static bool Same(string a, string b) => ReferenceEquals(a, b) || string.Equals(a, b, StringComparison.Ordinal);
}
