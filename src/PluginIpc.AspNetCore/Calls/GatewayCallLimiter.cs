using PluginIpc.AspNetCore.Security;

namespace PluginIpc.AspNetCore.Calls;

/// <summary>Counts the plugin calls running through the whole gateway (every dialect and transport) against <see cref="PluginGatewayOptions.MaxConcurrentCalls"/>.</summary>
internal sealed class GatewayCallLimiter(int maxConcurrentCalls) : CountLimiter(maxConcurrentCalls);
