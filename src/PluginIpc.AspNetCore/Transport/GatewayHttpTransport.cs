using System.Net.WebSockets;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PluginIpc.AspNetCore.Diagnostics;
using PluginIpc.AspNetCore.Security;

namespace PluginIpc.AspNetCore.Transport;

/// <summary>
/// The transport steps every dialect shares: the access check, the bounded read of an HTTP body, and accepting and running a
/// WebSocket connection within the connection limit.
/// </summary>
internal sealed class GatewayHttpTransport
{
    private readonly GatewayAccess _access;
    private readonly ConnectionLimiter _limiter;
    private readonly PluginGatewayOptions _options;
    private readonly ILogger _logger;
    private readonly GatewayMetrics _metrics;
    private readonly IHostApplicationLifetime? _lifetime;
    private readonly TimeProvider _time;

    public GatewayHttpTransport(GatewayAccess access, ConnectionLimiter limiter, IOptions<PluginGatewayOptions> options, ILoggerFactory loggerFactory, GatewayMetrics metrics, IHostApplicationLifetime? lifetime = null, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _access = access;
        _limiter = limiter;
        _options = options.Value;
        _logger = loggerFactory.CreateLogger(GatewayLog.Category);
        _metrics = metrics;
        _lifetime = lifetime;
        _time = time ?? TimeProvider.System;
    }

    /// <summary>
    /// Checks access and the content type and reads the body of an HTTP request; on a refusal sets the response's status
    /// (401, 403, 413, 415 or 500) and returns <see langword="null"/>. The caller disposes the buffer.
    /// </summary>
    public async Task<BoundedMessageBuffer?> TryReadHttpAsync(HttpContext context)
    {
        GatewayAccessResult access = _access.Check(context, webSocket: false);
        if (access != GatewayAccessResult.Allowed)
        {
            await GatewayRefusal.WriteAsync(context, access, _access, _logger, _metrics).ConfigureAwait(false);
            return null;
        }

        if (!IsJson(context.Request.ContentType))
        {
            context.Response.StatusCode = StatusCodes.Status415UnsupportedMediaType;
            return null;
        }

        var body = new BoundedMessageBuffer(_options.MaxMessageBytes);
        if (!await HttpBodyReader.TryReadAsync(context.Request, body, _options.MaxMessageBytes, context.RequestAborted).ConfigureAwait(false))
        {
            body.Dispose();
            _metrics.Refused.Add(1);
            context.Response.StatusCode = StatusCodes.Status413PayloadTooLarge;
            context.Response.Headers.Connection = "close"; // the rest of the body is not read
            return null;
        }

        return body;
    }

    /// <summary>Checks access, accepts the WebSocket within the connection limit and runs the session <paramref name="createSession"/> makes until it ends.</summary>
    /// <param name="context">The upgrade request.</param>
    /// <param name="createSession">Makes the dialect's session on the accepted connection.</param>
    /// <param name="check">The access rules, when not the gateway's own (the dashboard's).</param>
    public async Task RunWebSocketAsync(HttpContext context, Func<GatewayWebSocketConnection, IWebSocketSession> createSession, Func<HttpContext, GatewayAccessResult>? check = null)
    {
        ArgumentNullException.ThrowIfNull(context);
        ArgumentNullException.ThrowIfNull(createSession);
        if (!context.WebSockets.IsWebSocketRequest)
        {
            context.Response.StatusCode = StatusCodes.Status400BadRequest;
            return;
        }

        GatewayAccessResult access = check?.Invoke(context) ?? _access.Check(context, webSocket: true);
        if (access != GatewayAccessResult.Allowed)
        {
            string? problem = check is null ? _access.ConfigurationProblem(context.GetEndpoint()) : null;
            await GatewayRefusal.WriteAsync(context, access, problem, _logger, _metrics).ConfigureAwait(false);
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
            IWebSocketSession session = createSession(connection);
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
