namespace PluginIpc;

/// <summary>Settings of an <see cref="IPluginBus"/>: the host's (<see cref="PluginIpcOptions.Bus"/>) or a plugin's (<see cref="MainOptions.Bus"/>).</summary>
public sealed class PluginBusOptions
{
    /// <summary>Gets or sets the prefix of topics that start with <c>:</c> (<c>:orders</c> is <c>{ApplicationId}:orders</c>), so applications can share a bus.</summary>
    /// <value>Defaults to <see langword="null"/>: <c>:orders</c> stays <c>:orders</c>. Used by the host only; plugins get their host's.</value>
    public string? ApplicationId { get; set; }

    /// <summary>Gets or sets how many messages each subscriber (each handler, and each plugin on the host) may have waiting.</summary>
    /// <value>Defaults to 1024; at least 1.</value>
    public int QueueCapacity { get; set; } = 1024;

    /// <summary>
    /// Gets or sets how many bytes of payloads each subscriber may have waiting. Past it the newest message is lost, whatever
    /// <see cref="DropPolicy"/> says (counted and shown as <see cref="BusMessage.Missed"/> like the others); one message larger
    /// than this still goes into an empty queue.
    /// </summary>
    /// <value>Defaults to 16 MiB, as in the Node.js SDK; at least 1.</value>
    public long QueueCapacityBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Gets or sets which message a full queue loses; losses are counted (<c>pluginipc.bus.dropped</c>) and show as <see cref="BusMessage.Missed"/>.</summary>
    /// <value>Defaults to <see cref="BusDropPolicy.DropOldest"/>.</value>
    public BusDropPolicy DropPolicy { get; set; } = BusDropPolicy.DropOldest;

    /// <summary>Gets or sets the format of typed payloads (<see cref="PluginBusExtensions"/>); publishers and subscribers must agree.</summary>
    /// <value>
    /// Defaults to <see langword="null"/>: MessagePack, on hosts and in plugins alike, whatever format the plugin's calls use, so
    /// that typed messages cross every plugin. Set the same serializer on every host and plugin to use another.
    /// </value>
    public IPluginSerializer? Serializer { get; set; }

    internal PluginBusOptions Snapshot()
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacity, 1, nameof(QueueCapacity));
        ArgumentOutOfRangeException.ThrowIfLessThan(QueueCapacityBytes, 1, nameof(QueueCapacityBytes));
        if (!Enum.IsDefined(DropPolicy))
        {
            throw new ArgumentOutOfRangeException(nameof(DropPolicy), DropPolicy, "Not a BusDropPolicy.");
        }

        if (ApplicationId is not null)
        {
            BusTopics.Validate(ApplicationId + ":x", nameof(ApplicationId));
            if (ApplicationId.Length == 0 || BusTopics.IsSystem(ApplicationId))
            {
                throw new ArgumentException($"The application id '{ApplicationId}' may not be empty or start with '{BusTopics.SystemPrefix}'.", nameof(ApplicationId));
            }
        }

        return (PluginBusOptions)MemberwiseClone();
    }
}
