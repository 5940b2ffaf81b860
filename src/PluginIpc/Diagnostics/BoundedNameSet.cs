using System.Collections.Concurrent;

namespace PluginIpc;

/// <summary>
/// Keeps an attribute's values bounded: the first <see cref="Capacity"/> distinct names pass as they are, any other name
/// becomes <see cref="TelemetryNames.Other"/>, so that no caller or peer can make a metric grow without bound.
/// </summary>
/// <remarks>Thread safe. A name that passed once always passes; which names pass depends on the order they came first.</remarks>
internal sealed class BoundedNameSet
{
    private readonly ConcurrentDictionary<string, string> _names = new(StringComparer.Ordinal);
    private int _count;

    public BoundedNameSet(int capacity) => Capacity = capacity;

    /// <summary>Gets how many distinct names pass.</summary>
    public int Capacity { get; }

    /// <summary>Returns <paramref name="name"/> (the instance kept the first time) if it is one of the names that pass, else <see cref="TelemetryNames.Other"/>.</summary>
    public string Resolve(string name)
    {
        if (_names.TryGetValue(name, out string? kept))
        {
            return kept;
        }

        // Counted before it is added, so that racing threads never let more than Capacity names in; a race may waste a place.
        if (Volatile.Read(ref _count) >= Capacity || Interlocked.Increment(ref _count) > Capacity)
        {
            return TelemetryNames.Other;
        }

        return _names.GetOrAdd(name, name);
    }

    /// <summary>Returns the names that passed, in no particular order.</summary>
    public string[] Snapshot() => [.. _names.Keys];
}
