using System.Buffers;
using System.Text.Json;
using PluginIpc.AspNetCore.Calls;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>The <c>get_config</c> and <c>set_config</c> actions, on the host's <see cref="IPluginConfigStore"/>.</summary>
internal sealed partial class WebChannelDispatcher
{
    private async Task<WebChannelOutcome> ConfigAsync(bool set, string? pluginId, JsonElement data, CancellationToken cancellationToken)
    {
        string action = set ? WebChannelActions.SetConfig : WebChannelActions.GetConfig;
        if (pluginId is null)
        {
            return Invalid("pluginId", $"{action} needs the pluginId whose configuration it reads or writes.");
        }

        if (!_exposure.Exposes(pluginId) || !_manager.Names.Contains(pluginId))
        {
            return PluginNotFound(pluginId);
        }

        if (!_exposure.Allows(pluginId, action))
        {
            return WebChannelOutcome.Failure(WebChannelErrorCodes.Unauthorized, $"'{action}' is not allowed for plugin '{pluginId}'.", WebChannelErrorMapper.OriginalCode(GatewayErrorCodes.NotExposed));
        }

        if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("scope"u8, out JsonElement scopeElement) || scopeElement.ValueKind != JsonValueKind.String
            || !TryScope(scopeElement.GetString()!, out PluginConfigScope scope))
        {
            return Invalid("data.scope", $"{action} takes data {{scope: \"plugin\" | \"user\" | \"system\", key{(set ? string.Empty : "?")}{(set ? ", value" : string.Empty)}}}.");
        }

        string? key = null;
        if (data.TryGetProperty("key"u8, out JsonElement keyElement) && keyElement.ValueKind != JsonValueKind.Null)
        {
            if (keyElement.ValueKind != JsonValueKind.String || keyElement.GetString() is not { Length: > 0 and <= PluginConfigOptions.MaxKeyLength } text)
            {
                return Invalid("data.key", $"key must be a non-empty string of at most {PluginConfigOptions.MaxKeyLength} characters.");
            }

            key = text;
        }

        try
        {
            if (!set)
            {
                JsonElement? value = key is null
                    ? await _config.GetAsync(pluginId, scope, cancellationToken).ConfigureAwait(false)
                    : await _config.GetAsync(pluginId, scope, key, cancellationToken).ConfigureAwait(false);
                return WebChannelOutcome.Success(value is { } found ? Compact(found) : s_null);
            }

            if (key is null)
            {
                return Invalid("data.key", "set_config needs the key it sets.");
            }

            if (!data.TryGetProperty("value"u8, out JsonElement newValue))
            {
                return Invalid("data.value", "set_config needs the value it sets (null included).");
            }

            if (scope == PluginConfigScope.System && !_allowSystemConfigWrites)
            {
                return WebChannelOutcome.Failure(WebChannelErrorCodes.Unauthorized, "The system scope is read-only for clients (PluginGatewayOptions.AllowSystemConfigWrites).", WebChannelErrorMapper.OriginalCode(ErrorCodes.Forbidden));
            }

            await _config.SetAsync(pluginId, scope, key, newValue, cancellationToken).ConfigureAwait(false);
            return WebChannelOutcome.Success(Compact(newValue));
        }
        catch (OperationCanceledException)
        {
            return WebChannelOutcome.Failure(WebChannelErrorCodes.ShuttingDown, "Request cancelled: the connection is closing.", WebChannelErrorMapper.OriginalCode(ErrorCodes.Cancelled));
        }
        catch (Exception ex) when (ex is ArgumentException or JsonException)
        {
            return WebChannelOutcome.Failure(WebChannelErrorCodes.InvalidRequest, ex.Message, WebChannelErrorMapper.OriginalCode(ErrorCodes.InvalidRequest));
        }
        catch (PluginConfigTooLargeException)
        {
            // The store's message names the file's path on the host: clients get a fixed one.
            return WebChannelOutcome.Failure(WebChannelErrorCodes.InvalidRequest, $"The change would make the {ConfigNames(scope)} configuration of plugin '{pluginId}' larger than the host allows; nothing was changed.", WebChannelErrorMapper.OriginalCode(ErrorCodes.ConfigTooLarge));
        }
        catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // The message would name a path of the host: clients get the code only.
            return WebChannelOutcome.Failure(WebChannelErrorCodes.Unknown, $"The configuration of plugin '{pluginId}' cannot be read or written.", WebChannelErrorMapper.OriginalCode(ErrorCodes.ConfigFileInvalid));
        }
    }

    /// <summary>The value as compact UTF-8 JSON: a file edited by hand may hold comments, which its raw text keeps and a response may not.</summary>
    private static byte[] Compact(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            value.WriteTo(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }

    private static string ConfigNames(PluginConfigScope scope) => scope switch
    {
        PluginConfigScope.User => "user",
        PluginConfigScope.System => "system",
        _ => "plugin",
    };

    private static bool TryScope(string name, out PluginConfigScope scope)
    {
        (bool known, scope) = name switch
        {
            "plugin" => (true, PluginConfigScope.Plugin),
            "user" => (true, PluginConfigScope.User),
            "system" => (true, PluginConfigScope.System),
            _ => (false, default),
        };
        return known;
    }
}
