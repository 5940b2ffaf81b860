namespace PluginIpc;

/// <summary>Which message a subscriber's full queue loses.</summary>
public enum BusDropPolicy
{
    /// <summary>The oldest queued message makes room for the new one: a slow subscriber sees the newest messages.</summary>
    DropOldest,

    /// <summary>The new message is dropped: a slow subscriber sees the oldest messages.</summary>
    DropNewest,
}
