namespace PluginIpc.AspNetCore.Security;

/// <summary>Marks the endpoints MapPluginGateway adds, so the start check finds them among the application's endpoints.</summary>
internal sealed class GatewayEndpointMetadata
{
    public static GatewayEndpointMetadata Instance { get; } = new();
}
