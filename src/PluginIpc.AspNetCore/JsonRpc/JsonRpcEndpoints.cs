using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PluginIpc.AspNetCore.Calls;
using PluginIpc.AspNetCore.Diagnostics;
using PluginIpc.AspNetCore.Security;
using PluginIpc.AspNetCore.Transport;

namespace PluginIpc.AspNetCore.JsonRpc;

/// <summary>The request delegates of <c>{prefix}/rpc</c> (HTTP POST) and <c>{prefix}/ws</c> (WebSocket) for JSON-RPC 2.0.</summary>
internal sealed class JsonRpcEndpoints
{
    private readonly GatewayCaller _caller;
    private readonly GatewayHttpTransport _transport;
    private readonly PluginGatewayOptions _options;
    private readonly TopicAllowList _topics;
    private readonly IPluginBus _bus;
    private readonly ILogger _logger;

    public JsonRpcEndpoints(GatewayCaller caller, GatewayHttpTransport transport, IOptions<PluginGatewayOptions> options, IPluginBus bus, ILoggerFactory loggerFactory)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _caller = caller;
        _transport = transport;
        _options = options.Value;
        _topics = new TopicAllowList(_options.AllowedTopics);
        _bus = bus;
        _logger = loggerFactory.CreateLogger(GatewayLog.Category);
    }

    /// <summary>Handles <c>POST {prefix}/rpc</c>: one request or batch in the body, the response in the answer (204 when there is none).</summary>
    public async Task HandleHttpAsync(HttpContext context)
    {
        using BoundedMessageBuffer? body = await _transport.TryReadHttpAsync(context).ConfigureAwait(false);
        if (body is null)
        {
            return;
        }

        var session = new JsonRpcSession(_caller, _options, _topics, bus: null, connection: null, _logger, context.RequestAborted);
        byte[]? response = await session.HandleAsync(body.Written).ConfigureAwait(false);
        if (response is null)
        {
            context.Response.StatusCode = StatusCodes.Status204NoContent;
            return;
        }

        context.Response.StatusCode = StatusCodes.Status200OK;
        context.Response.ContentType = "application/json";
        context.Response.ContentLength = response.Length;
        await context.Response.Body.WriteAsync(response, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Handles <c>{prefix}/ws</c>: accepts the WebSocket and runs the JSON-RPC session until it ends.</summary>
    public Task HandleWebSocketAsync(HttpContext context) =>
        _transport.RunWebSocketAsync(context, connection => new JsonRpcSession(_caller, _options, _topics, _bus, connection, _logger, connection.Closing));
}
