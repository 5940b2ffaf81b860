using System.Buffers;
using System.Text.Json;
using MessagePack;

namespace PluginIpc.AspNetCore.Calls;

/// <summary>Writes a JSON value as one MessagePack value: objects as maps, arrays as arrays, numbers in their shortest form.</summary>
/// <remarks>
/// Written here rather than with <c>MessagePackSerializer.ConvertFromJson</c>, which writes an integer beyond 64 bits as
/// nothing at all (the plugin would get an empty buffer) and needs the JSON as a string.
/// </remarks>
internal static class JsonToMessagePack
{
    /// <summary>Returns <paramref name="value"/> as MessagePack.</summary>
    /// <exception cref="GatewayMappingException">A number has no MessagePack form: an integer beyond 64 bits, or a number beyond a double's range.</exception>
    public static byte[] Convert(JsonElement value)
    {
        var buffer = new ArrayBufferWriter<byte>(256);
        var writer = new MessagePackWriter(buffer);
        Write(ref writer, value);
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static void Write(ref MessagePackWriter writer, JsonElement value)
    {
        switch (value.ValueKind)
        {
            case JsonValueKind.Object:
                int count = 0;
                foreach (JsonProperty _ in value.EnumerateObject())
                {
                    count++;
                }

                writer.WriteMapHeader(count);
                foreach (JsonProperty property in value.EnumerateObject())
                {
                    writer.Write(property.Name);
                    Write(ref writer, property.Value);
                }

                break;
            case JsonValueKind.Array:
                writer.WriteArrayHeader(value.GetArrayLength());
                foreach (JsonElement item in value.EnumerateArray())
                {
                    Write(ref writer, item);
                }

                break;
            case JsonValueKind.String:
                writer.Write(value.GetString());
                break;
            case JsonValueKind.Number:
                WriteNumber(ref writer, value);
                break;
            case JsonValueKind.True:
                writer.Write(true);
                break;
            case JsonValueKind.False:
                writer.Write(false);
                break;
            default:
                writer.WriteNil();
                break;
        }
    }

    private static void WriteNumber(ref MessagePackWriter writer, JsonElement value)
    {
        if (value.TryGetInt64(out long integer))
        {
            writer.Write(integer);
        }
        else if (value.TryGetUInt64(out ulong large))
        {
            writer.Write(large);
        }
        else if (value.GetRawText().AsSpan().IndexOfAny('.', 'e', 'E') < 0)
        {
            throw new GatewayMappingException($"The integer {Shorten(value.GetRawText())} does not fit in 64 bits, the largest a msgpack plugin reads.");
        }
        else if (value.TryGetDouble(out double real) && double.IsFinite(real))
        {
            writer.Write(real);
        }
        else
        {
            throw new GatewayMappingException($"The number {Shorten(value.GetRawText())} is beyond the range of a double.");
        }
    }

    private static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
