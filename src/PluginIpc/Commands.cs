namespace PluginIpc;

/// <summary>The commands that the protocol reserves.</summary>
public static class Commands
{
    /// <summary>The handshake: the host's first request; answered with the plugin's metadata as a JSON object.</summary>
    public const string GetMetadata = "GetMetadata";

    /// <summary>A liveness check, answered by the channel itself with an empty response.</summary>
    public const string Ping = "cmd.ping";

    /// <summary>A one-way message from host to plugin asking it to stop.</summary>
    public const string Stop = "cmd.stop";

    /// <summary>The command of a response that reports a failed request.</summary>
    public const string Error = "cmd.error";

    /// <summary>A one-way log entry from plugin to host.</summary>
    public const string Log = "cmd.log";

    /// <summary>A one-way progress report of a contract call, from callee to caller: <c>[token, value]</c>.</summary>
    public const string Progress = "cmd.progress";

    /// <summary>A request for the next items of a contract stream, from consumer to producer: <c>[streamId, window]</c>.</summary>
    public const string StreamNext = "cmd.stream.next";

    /// <summary>A one-way message from consumer to producer that ends a contract stream early: <c>[streamId]</c>.</summary>
    public const string StreamEnd = "cmd.stream.end";

    /// <summary>A plugin's first bus request: the host answers its application id, its own id and the plugin's allow-lists (docs/PROTOCOL.md, section 9).</summary>
    public const string BusHello = "bus.hello";

    /// <summary>A plugin subscribes to a topic or pattern (section 9).</summary>
    public const string BusSubscribe = "bus.subscribe";

    /// <summary>A plugin ends a subscription (section 9).</summary>
    public const string BusUnsubscribe = "bus.unsubscribe";

    /// <summary>A plugin publishes a message, one way (section 9).</summary>
    public const string BusPublish = "bus.publish";

    /// <summary>The host delivers a message to a plugin, one way (section 9).</summary>
    public const string BusMessage = "bus.message";

    /// <summary>A request over the bus: from a plugin to its host, or from the host to a subscribed plugin (section 9).</summary>
    public const string BusRequest = "bus.request";

    /// <summary>A plugin reads its configuration, a whole scope or one key (docs/PROTOCOL.md, section 11).</summary>
    public const string ConfigGet = "config.get";

    /// <summary>A plugin sets one key of its configuration (section 11).</summary>
    public const string ConfigSet = "config.set";

    /// <summary>A plugin removes one key of its configuration (section 11).</summary>
    public const string ConfigRemove = "config.remove";

    /// <summary>A one-way message of the bridge, either way: UTF-8 text for the other side's bridge (docs/PROTOCOL.md, section 13).</summary>
    public const string BridgeMessage = "bridge.message";
}
