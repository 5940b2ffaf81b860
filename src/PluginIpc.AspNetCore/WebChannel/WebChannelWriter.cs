using System.Buffers;
using System.Text.Json;

using PluginIpc.AspNetCore.Calls;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>Writes WebChannel responses: <c>{requestId, success, data, error, timestamp, version}</c>.</summary>
internal static class WebChannelWriter
{
    /// <summary>The protocol version the gateway answers with.</summary>
    public const string Version = "1.0";

    /// <summary>Returns the response to <paramref name="requestId"/> (<see langword="null"/> when unreadable) with <paramref name="outcome"/>.</summary>
    public static byte[] Response(string? requestId, WebChannelOutcome outcome, long timestamp)
    {
        var buffer = new ArrayBufferWriter<byte>((outcome.Data?.Length ?? 0) + 128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            if (requestId is null)
            {
                writer.WriteNull("requestId"u8);
            }
            else
            {
                writer.WriteString("requestId"u8, requestId);
            }

            WriteOutcome(writer, outcome);
            writer.WriteNumber("timestamp"u8, timestamp);
            writer.WriteString("version"u8, Version);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Returns one result of a batch: <c>{success, data, error}</c>.</summary>
    public static byte[] Item(WebChannelOutcome outcome)
    {
        var buffer = new ArrayBufferWriter<byte>((outcome.Data?.Length ?? 0) + 64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            WriteOutcome(writer, outcome);
            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Returns the data of a batch: <c>[{success, data, error}, ...]</c>, its <see cref="Item"/>s in order.</summary>
    public static byte[] Results(IReadOnlyList<byte[]> items) => JsonArrays.Join(items);

    private static void WriteOutcome(Utf8JsonWriter writer, WebChannelOutcome outcome)
    {
        writer.WriteBoolean("success"u8, outcome.Error is null);
        writer.WritePropertyName("data"u8);
        if (outcome.Data is { } data)
        {
            writer.WriteRawValue(data, skipInputValidation: false);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WritePropertyName("error"u8);
        if (outcome.Error is not { } error)
        {
            writer.WriteNullValue();
            return;
        }

        writer.WriteStartObject();
        writer.WriteString("code"u8, error.Code);
        writer.WriteString("message"u8, error.Message);
        writer.WritePropertyName("details"u8);
        if (error.Details is { ValueKind: not JsonValueKind.Undefined } details)
        {
            details.WriteTo(writer);
        }
        else
        {
            writer.WriteNullValue();
        }

        writer.WriteEndObject();
    }
}
