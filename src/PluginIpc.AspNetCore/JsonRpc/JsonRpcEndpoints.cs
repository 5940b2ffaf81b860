using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
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
    private readonly GatewayAccess _access;
    private readonly ConnectionLimiter _limiter;
    private readonly PluginGatewayOptions _options;
    private readonly TopicAllowList _topics;
    private readonly IPluginBus _bus;
    private readonly ILogger _logger;
    private readonly GatewayMetrics _metrics;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly TimeProvider _time;

    public JsonRpcEndpoints(GatewayCaller caller, GatewayAccess access, ConnectionLimiter limiter, IOptions<PluginGatewayOptions> options, IPluginBus bus, ILoggerFactory loggerFactory, GatewayMetrics metrics, IHostApplicationLifetime? lifetime = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _caller = caller;
        _access = access;
        _limiter = limiter;
        _options = options.Value;
        _topics = new TopicAllowList(_options.AllowedTopics);
        _bus = bus;
        _logger = loggerFactory.CreateLogger(GatewayLog.Category);
        _metrics = metrics;
        _lifetime = lifetime;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>Handles <c>POST {prefix}/rpc</c>: one request or batch in the body, the response in the answer (204 when there is none).</summary>
    public async Task HandleHttpAsync(HttpContext context)
    {
        GatewayAccessResult access = _access.Check(context, webSocket: false);
        if (access != GatewayAccessResult.Allowed)
        {
            await GatewayRefusal.WriteAsync(context, access, _access, _logger, _metrics).ConfigureAwait(false);
            return;
        }

        if (!IsJson(context.Request.ContentType))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return;
        }

        using var body = new BoundedMessageBuffer(_options.MaxMessageBytes);
        if (!await HttpBodyReader.TryReadAsync(context.Request, body, _options.MaxMessageBytes, context.RequestAborted).ConfigureAwait(false))
        {
            _metrics.Refused.Add(1);
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            context.Response.Headers.Connection = "close"; // the rest of the body is not read
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
    public async Task HandleWebSocketAsync(HttpContext context)
    {
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        GatewayAccessResult access = _access.Check(context, webSocket: true);
        if (access != GatewayAccessResult.Allowed)
        {
            await GatewayRefusal.WriteAsync(context, access, _access, _logger, _metrics).ConfigureAwait(false);
            return;
        }

        string remote = $"{context.Connection.RemoteIpAddress}:{context.Connection.RemotePort}";
        if (!_limiter.TryAcquire())
        {
            _metrics.Refused.Add(1);
            GatewayLog.TooManyConnections(_logger, remote, _limiter.Limit);
            context.Response.StatusCode = StatusCodes.Status503ServiceUnavailable;
            return;
        }

        _metrics.Connections.Add(1);
        try
        {
            using WebSocket socket = await context.WebSockets.AcceptWebSocketAsync().ConfigureAwait(false);
            using var connection = new GatewayWebSocketConnection(socket, _options, remote, _logger, _metrics, _time);
            var session = new JsonRpcSession(_caller, _options, _topics, _bus, connection, _logger, connection.Closing);
            using var stopping = CancellationTokenSource.CreateLinkedTokenSource(context.RequestAborted, _lifetime?.ApplicationStopping ?? CancellationToken.None);
            await connection.RunAsync(session, stopping.Token).ConfigureAwait(false);
        }
        finally
        {
            _metrics.Connections.Add(-1);
            _limiter.Release();
        }
    }

    private static bool IsJson(string? contentType) =>
        contentType is not null
        && (contentType.StartsWith("application/json", StringComparison.OrdinalIgnoreCase)
            || contentType.StartsWith("application/json-rpc", StringComparison.OrdinalIgnoreCase));
}
