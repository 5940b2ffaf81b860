namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>The error codes of the WebChannel envelope (docs/GATEWAY.md, "The WebChannel envelope": the mapping from ours).</summary>
internal static class WebChannelErrorCodes
{
    /// <summary>Anything not mapped otherwise (the gateway failed, a configuration file is unreadable).</summary>
    public const string Unknown = "E0001";

    /// <summary>The envelope is malformed, the action unknown, or the data does not fit the command.</summary>
    public const string InvalidRequest = "E0002";

    /// <summary>Authentication failed, or the command (or action) is not allowed.</summary>
    public const string Unauthorized = "E0003";

    /// <summary>The plugin is not exposed or not registered, or no running plugin declares the event.</summary>
    public const string PluginNotFound = "E2001";

    /// <summary>The plugin could not be started (or is no longer running).</summary>
    public const string PluginLoadFailed = "E2002";

    /// <summary>The plugin's handler failed; the details carry its code.</summary>
    public const string PluginExecutionError = "E2003";

    /// <summary>The plugin did not answer in time.</summary>
    public const string Timeout = "E3001";

    /// <summary>Too many requests in flight on this connection.</summary>
    public const string Busy = "E3002";

    /// <summary>The request was cancelled, or the plugin or application is shutting down.</summary>
    public const string ShuttingDown = "E3003";

    /// <summary>Returns whether <paramref name="code"/> is one of the protocol's codes (<c>E</c> and four digits), which plugins may raise themselves.</summary>
    public static bool IsProtocolCode(string code) =>
        code.Length == 5 && code[0] == 'E' && char.IsAsciiDigit(code[1]) && char.IsAsciiDigit(code[2]) && char.IsAsciiDigit(code[3]) && char.IsAsciiDigit(code[4]);
}
