namespace PluginIpc;

/// <summary>The last sequence number one subscriber saw per topic and origin, to tell it how many messages it missed.</summary>
/// <remarks>Used by one pump at a time. Bounded: past <see cref="MaxTracked"/> topics it starts over, and the next message of each counts no gap.</remarks>
internal sealed class GapTracker
{
    public const int MaxTracked = 4096;

    private readonly Dictionary<(string Topic, string Origin), long> _last = [];

    /// <summary>Returns how many messages came between the previous one of the envelope's topic and origin and this one.</summary>
    public long Missed(BusEnvelope envelope)
    {
        if (envelope.Sequence <= 0)
        {
            return 0; // requests carry no sequence
        }

        (string, string) key = (envelope.Topic, envelope.Origin);
        if (!_last.TryGetValue(key, out long last) && _last.Count >= MaxTracked)
        {
            _last.Clear();
        }

        _last[key] = envelope.Sequence;

        // A number that does not grow means its origin started over (a restarted host): no gap.
        return last > 0 && envelope.Sequence > last + 1 ? envelope.Sequence - last - 1 : 0;
    }
}
