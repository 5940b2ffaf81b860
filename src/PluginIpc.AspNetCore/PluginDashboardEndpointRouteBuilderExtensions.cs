using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc.AspNetCore.Dashboard;
using PluginIpc.AspNetCore.Security;
using PluginIpc.AspNetCore.Transport;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the plugin dashboard: a web page with the plugins' state, process control, log query and live figures.</summary>
public static class PluginDashboardEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the dashboard under <paramref name="prefix"/> (the page at <c>{prefix}/</c>, its API under <c>{prefix}/api/</c>),
    /// protected like the gateway but with its own token: the application fails to start unless the endpoints require
    /// authorization, or <see cref="PluginIpc.AspNetCore.PluginGatewayOptions.DashboardBearerToken"/> is set (a person signs in with
    /// it once; the browser then holds an HttpOnly session cookie), or
    /// <see cref="PluginIpc.AspNetCore.PluginGatewayOptions.AllowUnauthenticatedLoopback"/> is set. Only the page's own origin may call it.
    /// Conventions on the result (such as <c>RequireAuthorization()</c>) apply to every endpoint of the dashboard.
    /// </summary>
    /// <param name="endpoints">The route builder (the application).</param>
    /// <param name="prefix">The path prefix, for example <c>/plugins/dashboard</c>.</param>
    /// <returns>A builder for conventions on the dashboard's endpoints.</returns>
    /// <exception cref="InvalidOperationException"><c>AddPluginGateway</c> was not called.</exception>
    public static IEndpointConventionBuilder MapPluginDashboard(this IEndpointRouteBuilder endpoints, string prefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        DashboardEndpoints dashboard = endpoints.ServiceProvider.GetService<DashboardEndpoints>()
            ?? throw new InvalidOperationException("MapPluginDashboard needs the gateway's services (its options protect the dashboard too): call builder.Services.AddPluginGateway(...) first.");

        endpoints.ServiceProvider.GetRequiredService<GatewayEndpointRegistry>().Add(endpoints);
        string trimmed = prefix.TrimEnd('/');
        RouteGroupBuilder group = endpoints.MapGroup(trimmed);
        group.WithMetadata(DashboardEndpointMetadata.Instance);
        group.MapGet("/", dashboard.PageAsync).WithDisplayName("Plugin dashboard: page");
        group.MapGet("/assets/{name}", (HttpContext context, string name) => dashboard.AssetAsync(context, name)).WithDisplayName("Plugin dashboard: files");
        group.MapGet("/api/session", dashboard.SessionAsync).WithDisplayName("Plugin dashboard: session");
        group.MapPost("/api/session", dashboard.SignInAsync).WithDisplayName("Plugin dashboard: sign in");
        group.MapDelete("/api/session", dashboard.SignOutAsync).WithDisplayName("Plugin dashboard: sign out");
        group.MapGet("/api/plugins", dashboard.PluginsAsync).WithDisplayName("Plugin dashboard: plugins");
        group.MapGet("/api/plugins/{name}", (HttpContext context, string name) => dashboard.PluginAsync(context, name)).WithDisplayName("Plugin dashboard: plugin");
        group.MapPost("/api/plugins/{name}/{action}", (HttpContext context, string name, string action) => dashboard.ControlAsync(context, name, action)).WithDisplayName("Plugin dashboard: process control");
        group.MapGet("/api/logs", dashboard.LogsAsync).WithDisplayName("Plugin dashboard: log query");
        group.Map("/api/live", WebSocketPipeline.For(endpoints, dashboard.LiveAsync)).WithDisplayName("Plugin dashboard: live updates");
        return group;
    }
}
