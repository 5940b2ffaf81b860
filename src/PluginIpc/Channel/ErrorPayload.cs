using System.Buffers;
using System.Text;
using System.Text.Json;

namespace PluginIpc;

/// <summary>Encodes and decodes the body of a <c>cmd.error</c> response: <c>{"code", "message", "details"?}</c>.</summary>
internal static class ErrorPayload
{
    public static byte[] Encode(string code, string message, JsonElement? details)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + message.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("code"u8, code);
            writer.WriteString("message"u8, message);
            if (details is { ValueKind: not JsonValueKind.Undefined } value)
            {
                writer.WritePropertyName("details"u8);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    public static byte[] Encode(Exception exception, bool includeExceptionDetails)
    {
        if (exception is RemoteException remote)
        {
            return Encode(remote.Code, remote.Message, remote.Details);
        }

        JsonElement? details = null;
        if (includeExceptionDetails)
        {
            using JsonDocument document = JsonDocument.Parse(JsonSerializer.Serialize(exception.ToString(), PluginIpcJsonContext.Default.String));
            details = document.RootElement.Clone();
        }

        return Encode(ErrorCodes.HandlerError, exception.Message, details);
    }

    /// <summary>Builds the exception a caller receives; a body that is not the expected JSON becomes the message of a <see cref="ErrorCodes.RemoteError"/>.</summary>
    public static RemoteException Decode(ReadOnlySpan<byte> body, string cmd)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object
                && root.TryGetProperty("code", out JsonElement code) && code.ValueKind == JsonValueKind.String
                && root.TryGetProperty("message", out JsonElement message) && message.ValueKind == JsonValueKind.String)
            {
                JsonElement? details = root.TryGetProperty("details", out JsonElement d) ? d : null;
                string codeText = code.GetString()!;
                return new RemoteException(codeText.Length == 0 ? ErrorCodes.RemoteError : codeText, message.GetString()!, details) { Cmd = cmd };
            }
        }
        catch (JsonException)
        {
            // Not JSON: the whole body is the message.
        }

        return new RemoteException(ErrorCodes.RemoteError, Encoding.UTF8.GetString(body)) { Cmd = cmd };
    }
}
