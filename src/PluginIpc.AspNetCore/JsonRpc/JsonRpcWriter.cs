using System.Buffers;
using System.Text.Json;
using PluginIpc.AspNetCore.Calls;

namespace PluginIpc.AspNetCore.JsonRpc;

/// <summary>Writes JSON-RPC 2.0 responses and notifications as UTF-8 messages.</summary>
internal static class JsonRpcWriter
{
    /// <summary>Returns a success response; <paramref name="id"/> Undefined is written <c>null</c>.</summary>
    public static byte[] Result(JsonElement id, byte[] result)
    {
        Utf8JsonWriter writer = ReusableJsonWriter.Rent(out ArrayBufferWriter<byte> buffer);
        try
        {
            Start(writer, id);
            writer.WritePropertyName("result"u8);
            writer.WriteRawValue(result, skipInputValidation: false);
            writer.WriteEndObject();
            return ReusableJsonWriter.ToArray(writer, buffer);
        }
        finally
        {
            ReusableJsonWriter.Return(writer, buffer);
        }
    }

    /// <summary>Returns an error response with <c>data = {"code", "details"?}</c>.</summary>
    public static byte[] Error(JsonElement id, int code, string message, string dataCode, JsonElement? details = null)
    {
        Utf8JsonWriter writer = ReusableJsonWriter.Rent(out ArrayBufferWriter<byte> buffer);
        try
        {
            Start(writer, id);
            writer.WriteStartObject("error"u8);
            writer.WriteNumber("code"u8, code);
            writer.WriteString("message"u8, message);
            writer.WriteStartObject("data"u8);
            writer.WriteString("code"u8, dataCode);
            if (details is { ValueKind: not JsonValueKind.Undefined } value)
            {
                writer.WritePropertyName("details"u8);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
            writer.WriteEndObject();
            writer.WriteEndObject();
            return ReusableJsonWriter.ToArray(writer, buffer);
        }
        finally
        {
            ReusableJsonWriter.Return(writer, buffer);
        }
    }

    /// <summary>Returns the error response of <paramref name="error"/>.</summary>
    public static byte[] Error(JsonElement id, GatewayError error) =>
        Error(id, JsonRpcErrorCodes.From(error.Kind), error.Message, error.Code, error.Details);

    /// <summary>Returns the <c>$/message</c> notification of a bus message; <paramref name="alsoMissed"/> adds messages the client missed here.</summary>
    public static byte[] Message(BusMessage message, long alsoMissed = 0)
    {
        var buffer = new ArrayBufferWriter<byte>(message.Payload.Length + 128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("jsonrpc"u8, "2.0"u8);
            writer.WriteString("method"u8, "$/message"u8);
            writer.WriteStartObject("params"u8);
            writer.WriteString("topic"u8, message.Topic);
            writer.WritePropertyName("payload"u8);
            PayloadMapper.WriteTextOrBase64(writer, message.Payload.Span);
            if (message.Publisher is { } publisher)
            {
                writer.WriteString("publisher"u8, publisher);
            }
            else
            {
                writer.WriteNull("publisher"u8);
            }

            writer.WriteNumber("sequence"u8, message.Sequence);
            writer.WriteNumber("missed"u8, message.Missed + alsoMissed);
            writer.WriteEndObject();
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>
    /// Returns the responses of a batch as one array of at most <paramref name="maxBytes"/> (when its ids allow): while the
    /// whole would be larger, responses are replaced, in order, by a <c>PAYLOAD_TOO_LARGE</c> error with the same id.
    /// </summary>
    public static byte[] Batch(IReadOnlyList<byte[]> responses, int maxBytes)
    {
        long total = 1 + responses.Sum(r => r.Length + 1L);
        if (total <= maxBytes)
        {
            return JsonArrays.Join(responses);
        }

        // Each response's error is made first; room for the errors of those not yet placed is kept all along.
        var errors = new byte[responses.Count][];
        long rest = 1;
        for (int i = 0; i < responses.Count; i++)
        {
            using JsonDocument response = JsonDocument.Parse(responses[i]);
            JsonElement id = response.RootElement.TryGetProperty("id"u8, out JsonElement value) ? value : default;
            errors[i] = Error(id, JsonRpcErrorCodes.ResponseTooLarge, $"The call ran, but its response does not fit in the batch's response (at most {maxBytes} bytes): call it alone.", ErrorCodes.PayloadTooLarge);
            rest += errors[i].Length + 1L;
        }

        var placed = new byte[responses.Count][];
        long used = 0;
        for (int i = 0; i < responses.Count; i++)
        {
            rest -= errors[i].Length + 1L;
            placed[i] = used + responses[i].Length + 1 + rest <= maxBytes ? responses[i] : errors[i];
            used += placed[i].Length + 1L;
        }

        return JsonArrays.Join(placed);
    }

    private static void Start(Utf8JsonWriter writer, JsonElement id)
    {
        writer.WriteStartObject();
        writer.WriteString("jsonrpc"u8, "2.0"u8);
        writer.WritePropertyName("id"u8);
        if (id.ValueKind == JsonValueKind.Undefined)
        {
            writer.WriteNullValue();
        }
        else
        {
            id.WriteTo(writer);
        }
    }
}
