namespace PluginIpc;

/// <summary>The names of PluginIpc's instruments, attributes and well-known attribute values, after the OpenTelemetry RPC semantic conventions: <c>rpc.system</c>, <c>rpc.service</c>, <c>rpc.method</c> (not yet v1.39's renames, while those conventions are in development).</summary>
internal static class TelemetryNames
{
    /// <summary>The value of <see cref="SystemAttribute"/>.</summary>
    public const string SystemName = "pluginipc";

    /// <summary>What <see cref="MethodAttribute"/> (and an <see cref="ErrorTypeAttribute"/> from a peer) says of a name that is not recognized.</summary>
    public const string Other = "_OTHER";

    public const string ClientCallDuration = "rpc.client.call.duration";
    public const string ServerCallDuration = "rpc.server.call.duration";
    public const string ChannelIo = "pluginipc.channel.io";
    public const string PluginRestarts = "pluginipc.plugin.restarts";
    public const string BusPublished = "pluginipc.bus.published";
    public const string BusDelivered = "pluginipc.bus.delivered";
    public const string BusDropped = "pluginipc.bus.dropped";
    public const string BusSubscriberAttribute = "pluginipc.bus.subscriber";

    public const string SystemAttribute = "rpc.system";
    public const string MethodAttribute = "rpc.method";
    public const string MethodOriginalAttribute = "rpc.method_original";
    public const string ErrorTypeAttribute = "error.type";
    public const string ServiceAttribute = "rpc.service";
    public const string IoDirectionAttribute = "network.io.direction";

    /// <summary>The values of <see cref="IoDirectionAttribute"/>.</summary>
    public const string Transmit = "transmit";
    public const string Receive = "receive";

    /// <summary>The operation names of the activities; their display names follow the conventions' span names.</summary>
    public const string CallActivityName = "PluginIpc.Call";
    public const string HandleActivityName = "PluginIpc.Handle";
}
