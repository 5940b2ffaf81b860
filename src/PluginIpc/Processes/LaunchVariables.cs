namespace PluginIpc;

/// <summary>The names and fixed values of the environment variables of the launch contract (protocol section 6).</summary>
internal static class LaunchVariables
{
    /// <summary>The variable that carries the host application's cookie.</summary>
    public const string Cookie = "PLUGINIPC_COOKIE";

    /// <summary>The variable that carries the protocol version.</summary>
    public const string Protocol = "PLUGINIPC_PROTOCOL";

    /// <summary>The variable that names the framing.</summary>
    public const string Framer = "PLUGINIPC_FRAMER";

    /// <summary>The variable that carries the descriptor the plugin reads chunks from.</summary>
    public const string InFd = "PLUGINIPC_IN_FD";

    /// <summary>The variable that carries the descriptor the plugin writes chunks to.</summary>
    public const string OutFd = "PLUGINIPC_OUT_FD";

    /// <summary>The variable that carries the host's busy-poll time in microseconds, a hint the plugin side follows unless its options say otherwise (an extension, docs/PROTOCOL.md section 6).</summary>
    public const string BusyPollMicroseconds = "PLUGINIPC_BUSY_POLL_US";

    /// <summary>The variable that marks one launch with a random value: the host finds the processes a plugin left behind by it (docs/PROTOCOL.md section 6).</summary>
    public const string Instance = "PLUGINIPC_INSTANCE";

    /// <summary>The library's default cookie.</summary>
    public const string DefaultCookie = "pluginipc-v1";

    /// <summary>The only protocol version there is.</summary>
    public const string ProtocolVersion = "1";
}
