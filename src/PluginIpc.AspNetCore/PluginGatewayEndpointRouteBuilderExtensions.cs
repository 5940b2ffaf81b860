using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc.AspNetCore.JsonRpc;
using PluginIpc.AspNetCore.Security;
using PluginIpc.AspNetCore.Transport;
using PluginIpc.AspNetCore.WebChannel;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the plugin gateway registered by <c>AddPluginGateway</c>.</summary>
public static class PluginGatewayEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the plugin gateway under <paramref name="prefix"/>: JSON-RPC 2.0 over HTTP (<c>POST {prefix}/rpc</c>) and over
    /// WebSocket (<c>{prefix}/ws</c>), and the WebChannel envelope over HTTP (<c>POST {prefix}/webchannel</c>) and over WebSocket
    /// (<c>{prefix}/webchannel/ws</c>). Conventions on the result (such as <c>RequireAuthorization()</c>) apply to every endpoint.
    /// </summary>
    /// <param name="endpoints">The route builder (the application).</param>
    /// <param name="prefix">The path prefix, for example <c>/plugins</c>.</param>
    /// <returns>A builder for conventions on the gateway's endpoints.</returns>
    /// <exception cref="InvalidOperationException"><c>AddPluginGateway</c> was not called.</exception>
    public static IEndpointConventionBuilder MapPluginGateway(this IEndpointRouteBuilder endpoints, string prefix)
    {
        ArgumentNullException.ThrowIfNull(endpoints);
        ArgumentNullException.ThrowIfNull(prefix);
        JsonRpcEndpoints jsonRpc = endpoints.ServiceProvider.GetService<JsonRpcEndpoints>()
            ?? throw new InvalidOperationException("MapPluginGateway needs the gateway's services: call builder.Services.AddPluginGateway(...) first.");

        WebChannelEndpoints webChannel = endpoints.ServiceProvider.GetRequiredService<WebChannelEndpoints>();
        endpoints.ServiceProvider.GetRequiredService<GatewayEndpointRegistry>().Add(endpoints);
        RouteGroupBuilder group = endpoints.MapGroup(prefix);
        group.WithMetadata(GatewayEndpointMetadata.Instance);
        group.MapPost("/rpc", jsonRpc.HandleHttpAsync).WithDisplayName("Plugin gateway: JSON-RPC over HTTP");
        group.Map("/ws", WebSocketPipeline.For(endpoints, jsonRpc.HandleWebSocketAsync)).WithDisplayName("Plugin gateway: JSON-RPC over WebSocket");
        group.MapPost("/webchannel", webChannel.HandleHttpAsync).WithDisplayName("Plugin gateway: WebChannel envelope over HTTP");
        group.Map("/webchannel/ws", WebSocketPipeline.For(endpoints, webChannel.HandleWebSocketAsync)).WithDisplayName("Plugin gateway: WebChannel envelope over WebSocket");
        return group;
    }
}
