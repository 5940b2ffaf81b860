namespace PluginIpc;

/// <summary>The last sequence number one subscriber saw per topic and origin, to tell it how many messages it missed.</summary>
/// <remarks>
/// Thread safe: its pump reads messages while its queue drops others (an uncontended lock per message). Bounded: past
/// <see cref="MaxTracked"/> topics it starts over, and the next message of each counts no gap.
/// </remarks>
internal sealed class GapTracker
{
    public const int MaxTracked = 4096;

    private readonly Dictionary<(string Topic, string Origin), long> _last = [];
    private readonly Lock _lock = new();

    // The key of the previous message and its number, kept out of the dictionary: a run of one topic costs no lookups.
    private string? _currentTopic;
    private string _currentOrigin = "";
    private long _current;

    // The key of the previous message offered: a run of one topic costs no lookups on the way in either.
    private string? _offeredTopic;
    private string _offeredOrigin = "";

    /// <summary>Returns how many messages came between the previous one of the envelope's topic and origin and this one.</summary>
    public long Missed(BusEnvelope envelope)
    {
        if (envelope.Sequence <= 0)
        {
            return 0; // requests carry no sequence
        }

        long last;
        bool known;
        lock (_lock)
        {
            if (IsCurrent(envelope))
            {
                last = _current;
                known = true;
            }
            else
            {
                if (_currentTopic is not null)
                {
                    Remember(_currentTopic, _currentOrigin, _current);
                }

                known = _last.TryGetValue((envelope.Topic, envelope.Origin), out last);
                _currentTopic = envelope.Topic;
                _currentOrigin = envelope.Origin;
            }

            _current = envelope.Sequence;
        }

        // The first message offered of a topic counts no gap; a number that does not grow
        // means its origin started over (a restarted host): no gap either.
        return known && envelope.Sequence - 1 > last ? envelope.Sequence - 1 - last : 0; // not last + 1: it may be long.MaxValue
    }

    /// <summary>
    /// Notes a message about to enter the subscriber's queue, before its pump can see it: the first of its topic and origin
    /// marks where counting starts, so a queue that drops it, or those after it, still shows the gap before the next one read.
    /// </summary>
    /// <remarks>Recorded on the way in because a full queue reports what it dropped only after its lock is released, when the pump may already have read the next message.</remarks>
    public void Offered(BusEnvelope envelope)
    {
        if (envelope.Sequence <= 0)
        {
            return;
        }

        lock (_lock)
        {
            if (!IsOffered(envelope) && !IsCurrent(envelope) && _last.Count < MaxTracked)
            {
                _last.TryAdd((envelope.Topic, envelope.Origin), envelope.Sequence - 1);
            }

            _offeredTopic = envelope.Topic;
            _offeredOrigin = envelope.Origin;
        }
    }

    private static bool Same(string a, string b) => ReferenceEquals(a, b) || string.Equals(a, b, StringComparison.Ordinal);

    private bool IsOffered(BusEnvelope envelope) =>
        _offeredTopic is not null && Same(envelope.Topic, _offeredTopic) && Same(envelope.Origin, _offeredOrigin);

    private bool IsCurrent(BusEnvelope envelope) =>
        _currentTopic is not null && Same(envelope.Topic, _currentTopic) && Same(envelope.Origin, _currentOrigin);

    private void Remember(string topic, string origin, long sequence)
    {
        if (!_last.ContainsKey((topic, origin)) && _last.Count >= MaxTracked)
        {
            _last.Clear();
        }

        _last[(topic, origin)] = sequence;
    }
}
