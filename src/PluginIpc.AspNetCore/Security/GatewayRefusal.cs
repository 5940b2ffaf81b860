using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using PluginIpc.AspNetCore.Diagnostics;

namespace PluginIpc.AspNetCore.Security;

/// <summary>Answers a request that <see cref="GatewayAccess"/> refused, with the status its reason calls for.</summary>
internal static class GatewayRefusal
{
    public static Task WriteAsync(HttpContext context, GatewayAccessResult result, GatewayAccess access, ILogger logger, GatewayMetrics metrics) =>
        WriteAsync(context, result, access.ConfigurationProblem(context.GetEndpoint()), logger, metrics);

    /// <summary>Answers the refused request; <paramref name="problem"/> is what is misconfigured, for <see cref="GatewayAccessResult.Misconfigured"/>.</summary>
    public static Task WriteAsync(HttpContext context, GatewayAccessResult result, string? problem, ILogger logger, GatewayMetrics metrics)
    {
        metrics.Refused.Add(1);
        string remote = context.Connection.RemoteIpAddress?.ToString() ?? "?";
        switch (result)
        {
            case GatewayAccessResult.Misconfigured:
                GatewayLog.NoAuthentication(logger, problem ?? "The gateway is misconfigured.");
                context.Response.StatusCode = StatusCodes.Status500InternalServerError;
                break;
            case GatewayAccessResult.Unauthenticated:
                GatewayLog.Refused(logger, remote, "no or a wrong bearer token");
                context.Response.StatusCode = StatusCodes.Status401Unauthorized;
                context.Response.Headers.WWWAuthenticate = "Bearer";
                break;
            default:
                GatewayLog.Refused(logger, remote, "origin not allowed, or a remote client of a loopback-only gateway");
                context.Response.StatusCode = StatusCodes.Status403Forbidden;
                break;
        }

        return Task.CompletedTask;
    }
}
