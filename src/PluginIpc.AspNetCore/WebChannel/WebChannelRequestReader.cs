using System.Text.Json;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>Validates a parsed envelope: each field's type and length, naming the field that is wrong.</summary>
internal static class WebChannelRequestReader
{
    /// <summary>The longest <c>requestId</c>, <c>action</c>, <c>pluginId</c> and <c>pageId</c>, in UTF-16 characters.</summary>
    public const int MaxIdLength = 128;

    /// <summary>Reads <paramref name="root"/>; on failure returns the error and, when it was readable, the request's id.</summary>
    public static WebChannelRequest? Read(JsonElement root, out string? requestId, out WebChannelError? error)
    {
        requestId = null;
        error = null;
        if (root.ValueKind != JsonValueKind.Object)
        {
            error = WebChannelErrorMapper.InvalidField("$", "The request must be a JSON object.");
            return null;
        }

        if (!TryString(root, "requestId", required: true, out string? id, ref error))
        {
            return null;
        }

        requestId = id;
        if (!TryString(root, "action", required: true, out string? action, ref error)
            || !TryString(root, "pluginId", required: false, out string? pluginId, ref error)
            || !TryString(root, "pageId", required: false, out string? pageId, ref error))
        {
            return null;
        }

        if (root.TryGetProperty("timestamp"u8, out JsonElement timestamp) && timestamp.ValueKind is not (JsonValueKind.Number or JsonValueKind.Null))
        {
            error = WebChannelErrorMapper.InvalidField("timestamp", "timestamp must be a number (milliseconds since 1970-01-01 UTC).");
            return null;
        }

        if (root.TryGetProperty("version"u8, out JsonElement version) && version.ValueKind != JsonValueKind.Null
            && (version.ValueKind != JsonValueKind.String || !version.GetString()!.StartsWith("1.", StringComparison.Ordinal)))
        {
            error = WebChannelErrorMapper.InvalidField("version", "version must be a string \"1.x\" (the gateway speaks 1.0).");
            return null;
        }

        root.TryGetProperty("data"u8, out JsonElement data);
        return new WebChannelRequest(id!, action!, pluginId, pageId, data.ValueKind == JsonValueKind.Null ? default : data);
    }

    /// <summary>Reads the optional string <paramref name="name"/> of <paramref name="item"/> (a batch operation or data): absent or null is <see langword="null"/>.</summary>
    public static bool TryString(JsonElement item, string name, bool required, out string? value, ref WebChannelError? error)
    {
        value = null;
        if (!item.TryGetProperty(name, out JsonElement element) || element.ValueKind == JsonValueKind.Null)
        {
            if (required)
            {
                error = WebChannelErrorMapper.InvalidField(name, $"{name} is required: a non-empty string of at most {MaxIdLength} characters.");
                return false;
            }

            return true;
        }

        if (element.ValueKind != JsonValueKind.String || element.GetString() is not { Length: > 0 and <= MaxIdLength } text)
        {
            error = WebChannelErrorMapper.InvalidField(name, $"{name} must be a non-empty string of at most {MaxIdLength} characters.");
            return false;
        }

        value = text;
        return true;
    }
}
