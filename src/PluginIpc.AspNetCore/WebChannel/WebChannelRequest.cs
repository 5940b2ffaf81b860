using System.Text.Json;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>A valid WebChannel request envelope (its elements live as long as the parsed document).</summary>
/// <param name="RequestId">The client's id, echoed in the response and the key of idempotency.</param>
/// <param name="Action">What to do: a gateway action or a command of <paramref name="PluginId"/>.</param>
/// <param name="PluginId">The plugin, or <see langword="null"/> (an event for every plugin that declares it).</param>
/// <param name="PageId">The client's page, or <see langword="null"/>.</param>
/// <param name="Data">The data; Undefined when absent or <c>null</c>.</param>
internal sealed record WebChannelRequest(string RequestId, string Action, string? PluginId, string? PageId, JsonElement Data);
