using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace PluginIpc.AspNetCore.Tests.Dashboard;

/// <summary>The gateway test app (<see cref="GatewayApp"/>) with the dashboard at /plugins/dashboard, protected by <see cref="Token"/> (the gateway by <see cref="GatewayToken"/>).</summary>
internal static class DashboardApp
{
    public const string Token = "dashboard-token-0123456789";

    public const string GatewayToken = "gateway-token-0123456789";

    public const string Path = "/plugins/dashboard/";

    public static Task<GatewayApp> StartAsync(Action<PluginGatewayOptions>? configure = null) =>
        GatewayApp.StartAsync(
            o =>
            {
                o.BearerToken = GatewayToken;
                o.DashboardBearerToken = Token;
                o.Expose("echo");
                configure?.Invoke(o);
            },
            mapMore: app => app.MapPluginDashboard("/plugins/dashboard"));

    public static IPluginManager Manager(this GatewayApp app) => app.Services.GetRequiredService<IPluginManager>();
}
