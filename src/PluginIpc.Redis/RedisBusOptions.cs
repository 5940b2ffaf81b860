namespace PluginIpc;

/// <summary>Settings of the system bus across hosts through Redis (<c>AddPluginIpcRedisBus</c>).</summary>
public sealed class RedisBusOptions
{
    /// <summary>Gets or sets the prefix of the Redis pub/sub channels, one per topic (<c>{Channel}:{topic}</c>), that carry messages between hosts; the hosts of one bus must agree.</summary>
    /// <value>Defaults to <c>pluginipc.bus</c>.</value>
    public string Channel { get; set; } = "pluginipc.bus";

    /// <summary>Gets or sets what publishing does while Redis is unreachable.</summary>
    /// <value>Defaults to <see cref="RedisOutagePolicy.Buffer"/>.</value>
    public RedisOutagePolicy OutagePolicy { get; set; } = RedisOutagePolicy.Buffer;

    /// <summary>
    /// Gets or sets how many messages may wait to be sent to Redis: during an outage, and when publishers outpace Redis. Past it
    /// the oldest are lost, counted in <c>pluginipc.bus.relay.lost</c> and logged.
    /// </summary>
    /// <value>Defaults to 10,000; at least 1.</value>
    public int OutageBufferSize { get; set; } = 10_000;

    internal RedisBusOptions Snapshot()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Channel, nameof(Channel));
        ArgumentOutOfRangeException.ThrowIfLessThan(OutageBufferSize, 1, nameof(OutageBufferSize));
        if (!Enum.IsDefined(OutagePolicy))
        {
            throw new ArgumentOutOfRangeException(nameof(OutagePolicy), OutagePolicy, "Not a RedisOutagePolicy.");
        }

        return (RedisBusOptions)MemberwiseClone();
    }
}
