namespace PluginIpc.AspNetCore.Security;

/// <summary>What the access check decided for one request.</summary>
internal enum GatewayAccessResult
{
    /// <summary>The request may proceed.</summary>
    Allowed,

    /// <summary>No or a wrong bearer token: 401.</summary>
    Unauthenticated,

    /// <summary>An origin not allowed, or a remote client while the gateway is loopback-only: 403.</summary>
    Forbidden,

    /// <summary>The gateway has no authentication configured: it refuses every request (500) until it is configured.</summary>
    Misconfigured,
}
