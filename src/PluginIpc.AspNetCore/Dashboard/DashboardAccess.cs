using System.Text;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Options;
using PluginIpc.AspNetCore.Security;

namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>
/// The dashboard's access rules. Like the gateway's, authentication is required (authorization on the endpoints, a token, or
/// loopback only), but with a token of its own (<see cref="PluginGatewayOptions.DashboardBearerToken"/>): the dashboard
/// controls every plugin, the gateway's clients must not. Its page may use a session cookie instead of the token, and only
/// its own origin may call it (<see cref="PluginGatewayOptions.AllowedOrigins"/> does not apply here).
/// </summary>
internal sealed class DashboardAccess
{
    private readonly byte[]? _token;
    private readonly bool _loopbackOnly;
    private readonly DashboardSessions _sessions;

    public DashboardAccess(IOptions<PluginGatewayOptions> options, DashboardSessions sessions)
    {
        ArgumentNullException.ThrowIfNull(options);
        _token = options.Value.DashboardBearerToken is { } token ? Encoding.UTF8.GetBytes(token) : null;
        _loopbackOnly = options.Value.AllowUnauthenticatedLoopback;
        _sessions = sessions;
    }

    /// <summary>Gets a value indicating whether people sign in with the dashboard's token (and so may sign out).</summary>
    public bool UsesSessions => _token is not null;

    /// <summary>Returns why <paramref name="endpoint"/> may not run as configured, or <see langword="null"/> when it may.</summary>
    public string? ConfigurationProblem(Endpoint? endpoint) =>
        _token is not null || _loopbackOnly || GatewayAccess.HasAuthorization(endpoint)
            ? null
            : $"The plugin dashboard at '{(endpoint as RouteEndpoint)?.RoutePattern.RawText ?? endpoint?.DisplayName}' has no authentication: call RequireAuthorization() on MapPluginDashboard's result, set PluginGatewayOptions.DashboardBearerToken (its own token: the gateway's BearerToken does not open the dashboard), or set PluginGatewayOptions.AllowUnauthenticatedLoopback to serve loopback clients only.";

    /// <summary>Returns whether the request carries the dashboard's token in its Authorization header.</summary>
    public bool PresentsToken(HttpContext context) => _token is not null && GatewayAccess.PresentsToken(context, _token, allowQuery: false);

    /// <summary>Checks the request; <paramref name="needsAuthentication"/> is false for the page and its files, which hold no data.</summary>
    public GatewayAccessResult Check(HttpContext context, bool needsAuthentication)
    {
        if (ConfigurationProblem(context.GetEndpoint()) is not null)
        {
            return GatewayAccessResult.Misconfigured;
        }

        if (_loopbackOnly && !GatewayAccess.IsLoopback(context))
        {
            return GatewayAccessResult.Forbidden;
        }

        // Without a token, a loopback dashboard also needs a loopback host name: a page whose own name was rebound to
        // 127.0.0.1 (DNS rebinding) would otherwise be same-origin with it.
        if (_loopbackOnly && _token is null && !IsLoopbackHost(context.Request.Host))
        {
            return GatewayAccessResult.Forbidden;
        }

        // Browsers send Origin on every cross-origin fetch and WebSocket: only the dashboard's own page may use the cookie.
        if (context.Request.Headers.Origin is { Count: > 0 } origin && !IsSameOrigin(context, origin.ToString()))
        {
            return GatewayAccessResult.Forbidden;
        }

        if (!needsAuthentication || _token is null)
        {
            return GatewayAccessResult.Allowed;
        }

        return PresentsToken(context) || _sessions.IsValid(context) ? GatewayAccessResult.Allowed : GatewayAccessResult.Unauthenticated;
    }

    private static bool IsSameOrigin(HttpContext context, string origin) =>
        string.Equals(origin.TrimEnd('/'), $"{context.Request.Scheme}://{context.Request.Host.Value}", StringComparison.OrdinalIgnoreCase);

    private static bool IsLoopbackHost(HostString host) =>
        host.Host == "localhost"
        || (System.Net.IPAddress.TryParse(host.Host.Trim('[', ']'), out System.Net.IPAddress? address) && System.Net.IPAddress.IsLoopback(address));
}
