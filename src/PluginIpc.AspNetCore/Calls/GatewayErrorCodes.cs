namespace PluginIpc.AspNetCore.Calls;

/// <summary>The codes the gateway puts in an error's data for failures of its own (beside PluginIpc's <see cref="ErrorCodes"/>).</summary>
internal static class GatewayErrorCodes
{
    /// <summary>The plugin is not exposed, or the command is not in its allow-list.</summary>
    public const string NotExposed = "NOT_EXPOSED";

    /// <summary>The plugin is exposed but no plugin of that name is registered.</summary>
    public const string UnknownPlugin = "UNKNOWN_PLUGIN";

    /// <summary>The plugin could not be started, or exited.</summary>
    public const string PluginUnavailable = "PLUGIN_UNAVAILABLE";

    /// <summary>The connection has as many calls in flight as it may.</summary>
    public const string TooManyCalls = "TOO_MANY_CALLS";

    /// <summary>The connection has as many subscriptions as it may.</summary>
    public const string TooManySubscriptions = "TOO_MANY_SUBSCRIPTIONS";

    /// <summary>The method is a contract stream or takes a progress object, which the gateway does not carry.</summary>
    public const string Unsupported = "UNSUPPORTED";

    /// <summary>The message is not valid JSON.</summary>
    public const string ParseError = "PARSE_ERROR";

    /// <summary>The gateway failed; see its log.</summary>
    public const string Internal = "INTERNAL";
}
