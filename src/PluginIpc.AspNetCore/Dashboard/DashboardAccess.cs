using Microsoft.AspNetCore.Http;
using PluginIpc.AspNetCore.Security;

namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>
/// The dashboard's access rules: the gateway's (authentication configured, loopback-only, origins, bearer token), with two
/// differences for a page in a browser: its own origin is allowed, and a session cookie stands for the token.
/// </summary>
internal sealed class DashboardAccess(GatewayAccess gateway, DashboardSessions sessions)
{
    /// <summary>Checks the request; <paramref name="needsAuthentication"/> is false for the static files, which hold no data.</summary>
    public GatewayAccessResult Check(HttpContext context, bool needsAuthentication)
    {
        if (gateway.ConfigurationProblem(context.GetEndpoint()) is not null)
        {
            return GatewayAccessResult.Misconfigured;
        }

        if (gateway.LoopbackOnly && !GatewayAccess.IsLoopback(context))
        {
            return GatewayAccessResult.Forbidden;
        }

        // Without a token, a loopback dashboard also needs a loopback host name: a page whose own name was rebound to
        // 127.0.0.1 (DNS rebinding) would otherwise be same-origin with it.
        if (gateway.LoopbackOnly && !gateway.RequiresToken && !IsLoopbackHost(context.Request.Host))
        {
            return GatewayAccessResult.Forbidden;
        }

        if (context.Request.Headers.Origin is { Count: > 0 } origin && !IsSameOrigin(context, origin.ToString()) && !gateway.IsAllowedOrigin(origin.ToString()))
        {
            return GatewayAccessResult.Forbidden;
        }

        if (!needsAuthentication || !gateway.RequiresToken)
        {
            return GatewayAccessResult.Allowed;
        }

        return gateway.PresentsToken(context, allowQuery: false) || sessions.IsValid(context) ? GatewayAccessResult.Allowed : GatewayAccessResult.Unauthenticated;
    }

    /// <summary>Gets a value indicating whether people sign in with the token (and so may sign out).</summary>
    public bool UsesSessions => gateway.RequiresToken;

    private static bool IsSameOrigin(HttpContext context, string origin) =>
        string.Equals(origin.TrimEnd('/'), $"{context.Request.Scheme}://{context.Request.Host.Value}", StringComparison.OrdinalIgnoreCase);

    private static bool IsLoopbackHost(HostString host) =>
        host.Host is "localhost" or "127.0.0.1" or "[::1]" or "::1"
        || (System.Net.IPAddress.TryParse(host.Host.Trim('[', ']'), out System.Net.IPAddress? address) && System.Net.IPAddress.IsLoopback(address));
}
