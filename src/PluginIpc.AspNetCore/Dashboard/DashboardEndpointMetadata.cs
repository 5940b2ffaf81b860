namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>Marks the endpoints MapPluginDashboard adds, so the start check finds them and applies the dashboard's rule.</summary>
internal sealed class DashboardEndpointMetadata
{
    public static DashboardEndpointMetadata Instance { get; } = new();
}
