namespace PluginIpc;

/// <summary>What a host's <see cref="IPluginBus"/> does with messages for other hosts while Redis is unreachable.</summary>
public enum RedisOutagePolicy
{
    /// <summary>Keeps up to <see cref="RedisBusOptions.OutageBufferSize"/> messages and sends them on reconnect; older ones are lost (and counted).</summary>
    Buffer,

    /// <summary>Refuses them: a host's <see cref="IPluginBus.PublishAsync"/> throws a <see cref="PluginIpcException"/> (a plugin's publish is logged).</summary>
    Fail,
}
