using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc.AspNetCore.JsonRpc;
using PluginIpc.AspNetCore.Security;

namespace Microsoft.AspNetCore.Builder;

/// <summary>Maps the plugin gateway registered by <c>AddPluginGateway</c>.</summary>
public static class PluginGatewayEndpointRouteBuilderExtensions
{
    /// <summary>
    /// Maps the plugin gateway under <paramref name="prefix"/>: JSON-RPC 2.0 over HTTP (<c>POST {prefix}/rpc</c>) and over
    /// WebSocket (<c>{prefix}/ws</c>). Conventions on the result (such as <c>RequireAuthorization()</c>) apply to every endpoint.
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

        endpoints.ServiceProvider.GetRequiredService<GatewayEndpointRegistry>().Add(endpoints);
        RouteGroupBuilder group = endpoints.MapGroup(prefix);
        group.WithMetadata(GatewayEndpointMetadata.Instance);
        group.MapPost("/rpc", jsonRpc.HandleHttpAsync).WithDisplayName("Plugin gateway: JSON-RPC over HTTP");

        // The WebSocket handshake middleware runs for this endpoint only: the application need not call UseWebSockets.
        IApplicationBuilder pipeline = endpoints.CreateApplicationBuilder().UseWebSockets();
        pipeline.Run(jsonRpc.HandleWebSocketAsync);
        RequestDelegate webSocket = pipeline.Build();
        group.Map("/ws", webSocket).WithDisplayName("Plugin gateway: JSON-RPC over WebSocket");
        return group;
    }
}
