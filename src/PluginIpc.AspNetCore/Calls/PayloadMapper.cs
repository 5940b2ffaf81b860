using System.Buffers;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using System.Text.Unicode;
using MessagePack;

namespace PluginIpc.AspNetCore.Calls;

/// <summary>Maps JSON params to plugin request buffers, and plugin answers back to JSON values (docs/GATEWAY.md, "Payloads").</summary>
internal static class PayloadMapper
{
    /// <summary>The property of the object that carries bytes as base64: <c>{"$base64": "..."}</c>.</summary>
    public const string Base64Property = "$base64";

    // Plugins are the host's own, but their answers still cross a process boundary: the untrusted-data limits apply (depth 500).
    private static readonly MessagePackSerializerOptions s_messagePack = MessagePackSerializerOptions.Standard.WithSecurity(MessagePackSecurity.UntrustedData);

    /// <summary>Returns the format <paramref name="plugin"/> announces.</summary>
    public static PluginFormat FormatOf(Plugin plugin) =>
        !plugin.Metadata.TryGetValue("serializer", out string? name) || name == MessagePackPluginSerializer.FormatName ? PluginFormat.MessagePack
        : name == JsonPluginSerializer.FormatName ? PluginFormat.Json
        : PluginFormat.Unknown;

    /// <summary>Returns the request buffer of a contract method: <paramref name="parameters"/>, an array of the arguments by position.</summary>
    /// <exception cref="GatewayMappingException">params is not an array, or the format is unknown.</exception>
    public static byte[] ContractArguments(JsonElement parameters, PluginFormat format, string method)
    {
        if (parameters.ValueKind == JsonValueKind.Undefined)
        {
            return Encode(EmptyArray.RootElement, format);
        }

        return parameters.ValueKind == JsonValueKind.Array
            ? Encode(parameters, format)
            : throw new GatewayMappingException($"'{method}' is a contract method: its params must be an array of its arguments by position.");
    }

    /// <summary>Returns <paramref name="value"/> as one value in the plugin's format; Undefined (absent) is an empty buffer.</summary>
    /// <exception cref="GatewayMappingException">The format is unknown.</exception>
    public static ReadOnlyMemory<byte> OneValue(JsonElement value, PluginFormat format) =>
        value.ValueKind == JsonValueKind.Undefined ? ReadOnlyMemory<byte>.Empty : Encode(value, format);

    /// <summary>Returns the request buffer of a byte, text or typed command, and how its answer is to be read.</summary>
    /// <exception cref="GatewayMappingException">params has another shape, or is not valid base64.</exception>
    public static ReadOnlyMemory<byte> CommandArguments(JsonElement parameters, PluginFormat format, string method, out ResultKind kind)
    {
        JsonElement value;
        switch (parameters.ValueKind)
        {
            case JsonValueKind.Undefined:
                kind = ResultKind.Text;
                return ReadOnlyMemory<byte>.Empty;
            case JsonValueKind.Array when parameters.GetArrayLength() == 1:
                value = parameters[0];
                break;
            case JsonValueKind.Object:
                value = parameters;
                break;
            default:
                throw new GatewayMappingException($"The params of '{method}' must be absent, an array of one value, or an object (the value itself).");
        }

        if (value.ValueKind == JsonValueKind.String)
        {
            kind = ResultKind.Text;

            // Without escapes the (validated) UTF-8 between the quotes is the text: copied as it is, no string made on the way.
            ReadOnlySpan<byte> raw = JsonMarshal.GetRawUtf8Value(value)[1..^1];
            return raw.Contains((byte)'\\') ? Encoding.UTF8.GetBytes(value.GetString()!) : raw.ToArray();
        }

        if (TryGetBase64(value, out string? base64))
        {
            kind = ResultKind.Base64;
            try
            {
                return Convert.FromBase64String(base64);
            }
            catch (FormatException ex)
            {
                throw new GatewayMappingException($"The {Base64Property} value of '{method}' is not valid base64.", ex);
            }
        }

        kind = ResultKind.Value;
        return Encode(value, format);
    }

    /// <summary>Returns <paramref name="answer"/> as one UTF-8 JSON value, read as <paramref name="kind"/> says.</summary>
    /// <exception cref="GatewayMappingException">A value answer is not one value in the plugin's format, or not one JSON can carry.</exception>
    public static byte[] Result(ReadOnlyMemory<byte> answer, ResultKind kind, PluginFormat format, string method)
    {
        switch (kind)
        {
            case ResultKind.Text when Utf8.IsValid(answer.Span):
                return JsonString(answer.Span);
            case ResultKind.Text:
            case ResultKind.Base64:
                return Base64Object(answer.Span);
            default:
                return answer.IsEmpty ? "null"u8.ToArray() : Decode(answer, format, method);
        }
    }

    /// <summary>Writes <paramref name="bytes"/> as a JSON string if they are UTF-8 text, else as <c>{"$base64": "..."}</c>.</summary>
    public static void WriteTextOrBase64(Utf8JsonWriter writer, ReadOnlySpan<byte> bytes)
    {
        if (Utf8.IsValid(bytes))
        {
            writer.WriteStringValue(bytes);
        }
        else
        {
            writer.WriteStartObject();
            writer.WriteBase64String(Base64Property, bytes);
            writer.WriteEndObject();
        }
    }

    private static readonly JsonDocument EmptyArray = JsonDocument.Parse("[]");

    private static bool TryGetBase64(JsonElement value, out string base64)
    {
        base64 = string.Empty;
        if (value.ValueKind != JsonValueKind.Object)
        {
            return false;
        }

        using JsonElement.ObjectEnumerator properties = value.EnumerateObject();
        if (!properties.MoveNext() || properties.Current.Name != Base64Property || properties.Current.Value.ValueKind != JsonValueKind.String)
        {
            return false;
        }

        base64 = properties.Current.Value.GetString()!;
        return !properties.MoveNext();
    }

    private static byte[] Encode(JsonElement value, PluginFormat format)
    {
        switch (format)
        {
            case PluginFormat.Json:
                Utf8JsonWriter writer = ReusableJsonWriter.Rent(out ArrayBufferWriter<byte> buffer);
                try
                {
                    value.WriteTo(writer);
                    return ReusableJsonWriter.ToArray(writer, buffer);
                }
                finally
                {
                    ReusableJsonWriter.Return(writer, buffer);
                }
            case PluginFormat.MessagePack:
                return JsonToMessagePack.Convert(value);
            default:
                throw UnknownFormat();
        }
    }

    private static byte[] Decode(ReadOnlyMemory<byte> answer, PluginFormat format, string method)
    {
        switch (format)
        {
            case PluginFormat.Json:
                return IsOneJsonValue(answer.Span) ? answer.ToArray() : throw NotOneValue(method, "json");
            case PluginFormat.MessagePack:
                try
                {
                    var reader = new MessagePackReader(answer);
                    using var text = new StringWriter(System.Globalization.CultureInfo.InvariantCulture);
                    MessagePackSerializer.ConvertToJson(ref reader, text, s_messagePack);
                    if (!reader.End)
                    {
                        throw NotOneValue(method, "msgpack");
                    }

                    // ConvertToJson writes a NaN or infinite double as a bare NaN/Infinity, which is not JSON: checked before it is sent.
                    byte[] json = Encoding.UTF8.GetBytes(text.ToString());
                    return IsOneJsonValue(json) ? json : throw NotJson(method);
                }
                catch (Exception ex) when (ex is MessagePackSerializationException or EndOfStreamException or InvalidOperationException)
                {
                    throw NotOneValue(method, "msgpack");
                }

            default:
                throw UnknownFormat();
        }
    }

    private static bool IsOneJsonValue(ReadOnlySpan<byte> json)
    {
        try
        {
            var reader = new Utf8JsonReader(json);
            return reader.Read() && reader.TrySkip() && !reader.Read();
        }
        catch (JsonException)
        {
            return false;
        }
    }

    private static byte[] JsonString(ReadOnlySpan<byte> utf8)
    {
        Utf8JsonWriter writer = ReusableJsonWriter.Rent(out ArrayBufferWriter<byte> buffer);
        try
        {
            writer.WriteStringValue(utf8);
            return ReusableJsonWriter.ToArray(writer, buffer);
        }
        finally
        {
            ReusableJsonWriter.Return(writer, buffer);
        }
    }

    private static byte[] Base64Object(ReadOnlySpan<byte> bytes)
    {
        Utf8JsonWriter writer = ReusableJsonWriter.Rent(out ArrayBufferWriter<byte> buffer);
        try
        {
            writer.WriteStartObject();
            writer.WriteBase64String(Base64Property, bytes);
            writer.WriteEndObject();
            return ReusableJsonWriter.ToArray(writer, buffer);
        }
        finally
        {
            ReusableJsonWriter.Return(writer, buffer);
        }
    }

    private static GatewayMappingException NotOneValue(string method, string format) =>
        new(new GatewayError(GatewayErrorKind.Internal, GatewayErrorCodes.Internal, $"The answer of '{method}' is not one value in the plugin's {format} format."));

    private static GatewayMappingException NotJson(string method) =>
        new(new GatewayError(GatewayErrorKind.PluginError, GatewayErrorCodes.Internal, $"The answer of '{method}' holds a value JSON cannot carry (a NaN or infinite number)."));

    private static GatewayMappingException UnknownFormat() =>
        new(new GatewayError(GatewayErrorKind.Internal, GatewayErrorCodes.Unsupported, "The plugin announces a serializer format the gateway does not convert (it converts json and msgpack)."));
}
