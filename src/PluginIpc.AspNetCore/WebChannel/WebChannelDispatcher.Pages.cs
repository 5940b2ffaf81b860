using System.Text.Json;
using PluginIpc.AspNetCore.Calls;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>The page actions (<c>page_ready</c>, <c>data_changed</c>, <c>page_destroy</c>) and events without a plugin.</summary>
internal sealed partial class WebChannelDispatcher
{
    private async Task<WebChannelOutcome> PageAsync(string action, string cmd, string? pluginId, string? pageId, JsonElement data, WebChannelClient client)
    {
        if (pluginId is null)
        {
            return Invalid("pluginId", "pluginId is required for this action.");
        }

        if (pageId is null)
        {
            return Invalid("pageId", "pageId is required for this action.");
        }

        string? changeType = null;
        JsonElement changed = default;
        if (cmd == WebChannelLifecycleCommands.OnDataChanged)
        {
            if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("changeType"u8, out JsonElement type) || type.ValueKind != JsonValueKind.String)
            {
                return Invalid("data.changeType", "data_changed takes data {changeType: string, data?: any}.");
            }

            changeType = type.GetString();
            data.TryGetProperty("data"u8, out changed);
        }

        if (!_exposure.Exposes(pluginId))
        {
            return PluginNotFound(pluginId);
        }

        if (!_exposure.Allows(pluginId, action))
        {
            // A plugin exposed for some commands only hears of pages if the page actions are among them.
            return WebChannelOutcome.Failure(WebChannelErrorCodes.Unauthorized, $"'{action}' is not allowed for plugin '{pluginId}'.", WebChannelErrorMapper.OriginalCode(GatewayErrorCodes.NotExposed));
        }

        (Plugin? plugin, GatewayError? refused) = await _caller.ResolveAsync(pluginId, null, client.Closed).ConfigureAwait(false);
        if (plugin is null)
        {
            return WebChannelOutcome.Failure(WebChannelErrorMapper.From(refused!));
        }

        if (cmd == WebChannelLifecycleCommands.OnBeforeDestroy)
        {
            client.Pages?.Remove(pluginId, pageId);
        }

        GatewayError? failed = cmd == WebChannelLifecycleCommands.OnPageReady && client.Pages is { } pages
            ? await _lifecycle.PageReadyAsync(pluginId, plugin, pages, pageId, again: true, client.Closed, client.Closed).ConfigureAwait(false)
            : await _lifecycle.NotifyAsync(pluginId, plugin, cmd, pageId, changeType, changed, client.Closed).ConfigureAwait(false);
        return failed is null ? WebChannelOutcome.Success(s_null) : WebChannelOutcome.Failure(WebChannelErrorMapper.From(failed));
    }

    private async Task<WebChannelOutcome> EventAsync(string action, JsonElement data, WebChannelClient client)
    {
        // Every target's message is made before any is sent: data one plugin's format cannot carry fails the event for all,
        // never after it reached some (a retry would deliver it twice).
        var targets = new List<(string Name, Plugin Plugin, Chunk Message)>();
        foreach (string name in _exposure.Plugins)
        {
            if (!_exposure.Allows(name, action) || !_manager.Names.Contains(name) || _manager.GetState(name) != PluginState.Running)
            {
                continue; // events never start a plugin
            }

            (Plugin? plugin, _) = await _caller.ResolveAsync(name, action, client.Closed).ConfigureAwait(false);
            if (plugin is null || !Declares(plugin, action))
            {
                continue;
            }

            ReadOnlyMemory<byte> buffer;
            try
            {
                buffer = PayloadMapper.OneValue(data, PayloadMapper.FormatOf(plugin));
            }
            catch (Exception ex) when (ex is GatewayMappingException or MessagePack.MessagePackSerializationException or FormatException or OverflowException)
            {
                return Invalid("data", $"The data of event '{action}' cannot be converted to the format of plugin '{name}'; it was sent to no plugin.");
            }

            targets.Add((name, plugin, new Chunk { Direction = Direction.OneWay, Cmd = action, Buffer = buffer }));
        }

        var delivered = new List<string>(targets.Count);
        foreach ((string name, Plugin plugin, Chunk message) in targets)
        {
            if (await _lifecycle.NotifyRawAsync(name, plugin, message, client.Closed).ConfigureAwait(false) is null)
            {
                delivered.Add(name);
            }
        }

        if (delivered.Count == 0)
        {
            return WebChannelOutcome.Failure(WebChannelErrorCodes.PluginNotFound, $"No running plugin takes event '{action}' (give a pluginId to call a plugin's command).");
        }

        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("delivered"u8);
            foreach (string name in delivered)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return WebChannelOutcome.Success(json.ToArray());
    }

    private static bool Declares(Plugin plugin, string action) =>
        plugin.Metadata.TryGetValue(WebChannelActions.EventsMetadataKey, out string? events)
        && events.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(action, StringComparer.Ordinal);
}
