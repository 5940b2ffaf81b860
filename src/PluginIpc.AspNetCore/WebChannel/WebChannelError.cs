using System.Text.Json;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>The <c>error</c> of a WebChannel response.</summary>
/// <param name="Code">A <see cref="WebChannelErrorCodes"/> value, or the plugin's own <c>E\d{4}</c> code.</param>
/// <param name="Message">A message safe to show to the client.</param>
/// <param name="Details">The details: the plugin's, or <c>{"code": our code, "details"?: the plugin's}</c> for a mapped code.</param>
internal sealed record WebChannelError(string Code, string Message, JsonElement? Details = null);
