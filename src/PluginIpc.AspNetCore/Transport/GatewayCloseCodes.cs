using System.Net.WebSockets;

namespace PluginIpc.AspNetCore.Transport;

/// <summary>The close codes the gateway ends WebSocket connections with (RFC 6455 section 7.4.1).</summary>
internal static class GatewayCloseCodes
{
    /// <summary>1000: the client closed, or the connection was idle for <see cref="PluginGatewayOptions.IdleTimeout"/>.</summary>
    public const WebSocketCloseStatus Normal = WebSocketCloseStatus.NormalClosure;

    /// <summary>1001: the application is stopping.</summary>
    public const WebSocketCloseStatus GoingAway = WebSocketCloseStatus.EndpointUnavailable;

    /// <summary>1003: a binary message; the gateway takes text only.</summary>
    public const WebSocketCloseStatus BinaryMessage = WebSocketCloseStatus.InvalidMessageType;

    /// <summary>1008: the client did not read: its send queue overflowed.</summary>
    public const WebSocketCloseStatus SendQueueFull = WebSocketCloseStatus.PolicyViolation;

    /// <summary>The dashboard's session ended (signed out or expired) while its live socket was open: 4001, in the range left to applications.</summary>
    public const WebSocketCloseStatus SessionEnded = (WebSocketCloseStatus)4001;

    /// <summary>The server failed to serve a dashboard's live socket (the cause is logged).</summary>
    public const WebSocketCloseStatus InternalError = WebSocketCloseStatus.InternalServerError;

    /// <summary>1009: a message over <see cref="PluginGatewayOptions.MaxMessageBytes"/>.</summary>
    public const WebSocketCloseStatus MessageTooBig = WebSocketCloseStatus.MessageTooBig;
}
