using System.Text.Json;

namespace PluginIpc.AspNetCore.Calls;

/// <summary>A failed gateway call: its kind, the code for clients (ours or the plugin's), a message and the plugin's details.</summary>
/// <param name="Kind">The dialect-independent kind.</param>
/// <param name="Code">The code clients see in the error's data (an <see cref="ErrorCodes"/> value, a gateway code, or the plugin's own).</param>
/// <param name="Message">A message safe to show to the client (no stack trace, no paths).</param>
/// <param name="Details">The plugin's details of a <see cref="RemoteException"/>, if any.</param>
internal sealed record GatewayError(GatewayErrorKind Kind, string Code, string Message, JsonElement? Details = null);
