using System.Net;
using System.Security.Cryptography;
using System.Text;
using Microsoft.AspNetCore.Authorization;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.Primitives;

namespace PluginIpc.AspNetCore.Security;

/// <summary>The gateway's authentication and origin rules, shared by every dialect and transport.</summary>
internal sealed class GatewayAccess
{
    private readonly byte[]? _token;
    private readonly bool _loopbackOnly;
    private readonly HashSet<string> _origins;

    public GatewayAccess(PluginGatewayOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _token = options.BearerToken is { } token ? Encoding.UTF8.GetBytes(token) : null;
        _loopbackOnly = options.AllowUnauthenticatedLoopback;
        _origins = new HashSet<string>(options.AllowedOrigins.Select(o => o.TrimEnd('/')), StringComparer.OrdinalIgnoreCase);
    }

    /// <summary>Returns whether <paramref name="origin"/> is in <see cref="PluginGatewayOptions.AllowedOrigins"/>.</summary>
    private bool IsAllowedOrigin(string origin) => _origins.Contains(origin.TrimEnd('/'));

    /// <summary>Returns whether the request comes from a loopback address.</summary>
    public static bool IsLoopback(HttpContext context) => IsLoopback(context.Connection.RemoteIpAddress);

    /// <summary>Returns why <paramref name="endpoint"/> may not run as configured, or <see langword="null"/> when it may.</summary>
    /// <remarks>The rule: at least one of RequireAuthorization on the endpoint, a bearer token, or the loopback-only switch.</remarks>
    public string? ConfigurationProblem(Endpoint? endpoint) =>
        _token is not null || _loopbackOnly || HasAuthorization(endpoint)
            ? null
            : $"The plugin gateway at '{(endpoint as RouteEndpoint)?.RoutePattern.RawText ?? endpoint?.DisplayName}' has no authentication: call RequireAuthorization() on MapPluginGateway's result, set PluginGatewayOptions.BearerToken, or set PluginGatewayOptions.AllowUnauthenticatedLoopback to serve loopback clients only.";

    /// <summary>Checks <paramref name="context"/> against the rules: configuration, remote address, origin, bearer token (in that order).</summary>
    public GatewayAccessResult Check(HttpContext context, bool webSocket)
    {
        ArgumentNullException.ThrowIfNull(context);
        if (ConfigurationProblem(context.GetEndpoint()) is not null)
        {
            return GatewayAccessResult.Misconfigured;
        }

        if (_loopbackOnly && !IsLoopback(context.Connection.RemoteIpAddress))
        {
            return GatewayAccessResult.Forbidden;
        }

        // Browsers always send Origin on WebSocket upgrades and cross-site POSTs; other clients need not (and cannot be hijacked).
        if (context.Request.Headers.Origin is { Count: > 0 } origin && !IsAllowedOrigin(origin.ToString()))
        {
            return GatewayAccessResult.Forbidden;
        }

        return _token is null || PresentsToken(context, allowQuery: webSocket) ? GatewayAccessResult.Allowed : GatewayAccessResult.Unauthenticated;
    }

    /// <summary>Returns whether <paramref name="endpoint"/> requires authorization (and does not allow anonymous users).</summary>
    public static bool HasAuthorization(Endpoint? endpoint) =>
        endpoint is not null
        && endpoint.Metadata.GetMetadata<IAuthorizeData>() is not null
        && endpoint.Metadata.GetMetadata<IAllowAnonymous>() is null;

    private static bool IsLoopback(IPAddress? address) => address is not null && IPAddress.IsLoopback(address);

    /// <summary>Returns whether the request presents the bearer token: in its Authorization header or, if <paramref name="allowQuery"/>, as <c>access_token</c> in its query.</summary>
    private bool PresentsToken(HttpContext context, bool allowQuery) => _token is not null && PresentsToken(context, _token, allowQuery);

    /// <summary>Returns whether the request presents <paramref name="token"/> (UTF-8): see <see cref="PresentsToken(HttpContext, bool)"/>.</summary>
    public static bool PresentsToken(HttpContext context, byte[] token, bool allowQuery)
    {
        const string Scheme = "Bearer ";
        string? presented = null;
        StringValues authorization = context.Request.Headers.Authorization;
        if (authorization.Count == 1 && authorization[0] is { } header && header.StartsWith(Scheme, StringComparison.OrdinalIgnoreCase))
        {
            presented = header[Scheme.Length..].Trim();
        }
        else if (allowQuery && context.Request.Query["access_token"] is { Count: 1 } query)
        {
            // Browsers cannot set headers on a WebSocket upgrade: the query string is their only way.
            presented = query[0];
        }

        if (presented is null)
        {
            return false;
        }

        // Constant time over the expected token's length: the comparison does not reveal how many leading bytes matched.
        byte[] given = Encoding.UTF8.GetBytes(presented);
        return CryptographicOperations.FixedTimeEquals(given, token);
    }
}
