using PluginIpc.AspNetCore.Security;

namespace PluginIpc.AspNetCore.Transport;

/// <summary>Counts the gateway's open WebSocket connections against <see cref="PluginGatewayOptions.MaxConnections"/>.</summary>
internal sealed class ConnectionLimiter(int maxConnections) : CountLimiter(maxConnections);
