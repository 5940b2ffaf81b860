namespace PluginIpc;

/// <summary>The handlers subscribed in this process, by exact topic and by pattern; read without a lock, changed under one.</summary>
internal sealed class LocalSubscriptionTable
{
    private readonly Lock _lock = new();
    private Snapshot _snapshot = new([], []);

    /// <summary>Gets the subscriptions, to end them all.</summary>
    public IEnumerable<LocalSubscription> All
    {
        get
        {
            Snapshot snapshot = Volatile.Read(ref _snapshot);
            return snapshot.Exact.Values.SelectMany(list => list).Concat(snapshot.Patterns).ToArray();
        }
    }

    /// <summary>Adds a subscription; returns how many there are now with its topic (or pattern) and kind.</summary>
    public int Add(LocalSubscription subscription)
    {
        lock (_lock)
        {
            Snapshot old = _snapshot;
            Snapshot next = subscription.Pattern is null
                ? old with { Exact = With(old.Exact, subscription.Topic, [.. Get(old.Exact, subscription.Topic), subscription]) }
                : old with { Patterns = [.. old.Patterns, subscription] };
            Volatile.Write(ref _snapshot, next);
            return CountOf(next, subscription);
        }
    }

    /// <summary>Removes a subscription; returns how many are left with its topic (or pattern) and kind.</summary>
    public int Remove(LocalSubscription subscription)
    {
        lock (_lock)
        {
            Snapshot old = _snapshot;
            Snapshot next = subscription.Pattern is null
                ? old with { Exact = With(old.Exact, subscription.Topic, [.. Get(old.Exact, subscription.Topic).Where(s => s != subscription)]) }
                : old with { Patterns = [.. old.Patterns.Where(s => s != subscription)] };
            Volatile.Write(ref _snapshot, next);
            return CountOf(next, subscription);
        }
    }

    /// <summary>Returns whether any subscription matches <paramref name="topic"/>.</summary>
    public bool HasSubscribers(string topic)
    {
        Snapshot snapshot = Volatile.Read(ref _snapshot);
        if (snapshot.Exact.ContainsKey(topic))
        {
            return true;
        }

        foreach (LocalSubscription subscription in snapshot.Patterns)
        {
            if (subscription.Pattern!.IsMatch(topic))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Offers <paramref name="envelope"/> to every subscription that matches its topic; returns how many took it.</summary>
    public int Offer(BusEnvelope envelope)
    {
        Snapshot snapshot = Volatile.Read(ref _snapshot);
        int offered = 0;
        if (snapshot.Exact.TryGetValue(envelope.Topic, out LocalSubscription[]? exact))
        {
            foreach (LocalSubscription subscription in exact)
            {
                offered += subscription.Offer(envelope) ? 1 : 0;
            }
        }

        foreach (LocalSubscription subscription in snapshot.Patterns)
        {
            if (subscription.Pattern!.IsMatch(envelope.Topic))
            {
                offered += subscription.Offer(envelope) ? 1 : 0;
            }
        }

        return offered;
    }

    /// <summary>Adds the subscribed topics and patterns to the sets.</summary>
    public void CollectTopics(HashSet<string> topics, HashSet<string> patterns)
    {
        Snapshot snapshot = Volatile.Read(ref _snapshot);
        topics.UnionWith(snapshot.Exact.Keys);
        foreach (LocalSubscription subscription in snapshot.Patterns)
        {
            patterns.Add(subscription.Topic);
        }
    }

    /// <summary>Returns the subscriptions that match <paramref name="topic"/>: exact ones first, in the order they subscribed.</summary>
    public List<LocalSubscription> Matching(string topic)
    {
        Snapshot snapshot = Volatile.Read(ref _snapshot);
        var matching = new List<LocalSubscription>(Get(snapshot.Exact, topic));
        matching.AddRange(snapshot.Patterns.Where(s => s.Pattern!.IsMatch(topic)));
        return matching;
    }

    private static int CountOf(Snapshot snapshot, LocalSubscription subscription) => subscription.Pattern is null
        ? Get(snapshot.Exact, subscription.Topic).Length
        : snapshot.Patterns.Count(s => s.Topic == subscription.Topic);

    private static LocalSubscription[] Get(Dictionary<string, LocalSubscription[]> exact, string topic) =>
        exact.TryGetValue(topic, out LocalSubscription[]? list) ? list : [];

    private static Dictionary<string, LocalSubscription[]> With(Dictionary<string, LocalSubscription[]> exact, string topic, LocalSubscription[] list)
    {
        var copy = new Dictionary<string, LocalSubscription[]>(exact, StringComparer.Ordinal);
        if (list.Length == 0)
        {
            copy.Remove(topic);
        }
        else
        {
            copy[topic] = list;
        }

        return copy;
    }

    private sealed record Snapshot(Dictionary<string, LocalSubscription[]> Exact, LocalSubscription[] Patterns);
}
