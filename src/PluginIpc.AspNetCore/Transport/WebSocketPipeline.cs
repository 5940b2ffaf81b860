using Microsoft.AspNetCore.Builder;
using Microsoft.AspNetCore.Http;
using Microsoft.AspNetCore.Routing;

namespace PluginIpc.AspNetCore.Transport;

/// <summary>Runs the WebSocket handshake middleware for one endpoint only: the application need not call <c>UseWebSockets</c>.</summary>
internal static class WebSocketPipeline
{
    public static RequestDelegate For(IEndpointRouteBuilder endpoints, RequestDelegate handler)
    {
        IApplicationBuilder pipeline = endpoints.CreateApplicationBuilder().UseWebSockets();
        pipeline.Run(handler);
        return pipeline.Build();
    }
}
