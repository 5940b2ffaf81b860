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
}
