using System.Buffers;
using System.Text.Json;
using PluginIpc.AspNetCore.Calls;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>Maps the gateway's errors to the envelope's codes (the table in docs/GATEWAY.md).</summary>
internal static class WebChannelErrorMapper
{
    /// <summary>
    /// Returns the envelope's error of <paramref name="error"/>: a plugin's own <c>E\d{4}</c> code passes as is with its message and
    /// details; any other code is mapped and kept in the details as <c>{"code", "details"?}</c>.
    /// </summary>
    public static WebChannelError From(GatewayError error)
    {
        ArgumentNullException.ThrowIfNull(error);
        if (WebChannelErrorCodes.IsProtocolCode(error.Code))
        {
            return new WebChannelError(error.Code, error.Message, error.Details);
        }

        string code = error.Code switch
        {
            GatewayErrorCodes.NotExposed or ErrorCodes.Forbidden => WebChannelErrorCodes.Unauthorized,
            GatewayErrorCodes.UnknownPlugin => WebChannelErrorCodes.PluginNotFound,
            GatewayErrorCodes.PluginUnavailable => WebChannelErrorCodes.PluginLoadFailed,
            ErrorCodes.ShuttingDown or ErrorCodes.Cancelled => WebChannelErrorCodes.ShuttingDown,
            ErrorCodes.UnknownCommand or ErrorCodes.InvalidRequest => WebChannelErrorCodes.InvalidRequest,
            ErrorCodes.Timeout => WebChannelErrorCodes.Timeout,
            GatewayErrorCodes.TooManyCalls => WebChannelErrorCodes.Busy,
            _ => error.Kind switch
            {
                GatewayErrorKind.InvalidParams => WebChannelErrorCodes.InvalidRequest,
                GatewayErrorKind.PluginError or GatewayErrorKind.ResponseTooLarge => WebChannelErrorCodes.PluginExecutionError,
                GatewayErrorKind.Timeout => WebChannelErrorCodes.Timeout,
                GatewayErrorKind.TooMany => WebChannelErrorCodes.Busy,
                GatewayErrorKind.Cancelled => WebChannelErrorCodes.ShuttingDown,
                GatewayErrorKind.PluginUnavailable => WebChannelErrorCodes.PluginLoadFailed,
                GatewayErrorKind.Forbidden => WebChannelErrorCodes.Unauthorized,
                GatewayErrorKind.MethodNotFound => WebChannelErrorCodes.PluginNotFound,
                _ => WebChannelErrorCodes.Unknown,
            },
        };
        return new WebChannelError(code, error.Message, OriginalCode(error.Code, error.Details));
    }

    /// <summary>Returns <c>{"code": <paramref name="code"/>, "details"?: <paramref name="details"/>}</c>.</summary>
    public static JsonElement OriginalCode(string code, JsonElement? details = null)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("code"u8, code);
            if (details is { ValueKind: not JsonValueKind.Undefined } value)
            {
                writer.WritePropertyName("details"u8);
                value.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return document.RootElement.Clone();
    }

    /// <summary>Returns an <see cref="WebChannelErrorCodes.InvalidRequest"/> that names <paramref name="field"/> in its details.</summary>
    public static WebChannelError InvalidField(string field, string message)
    {
        var buffer = new ArrayBufferWriter<byte>(64);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("code"u8, ErrorCodes.InvalidRequest);
            writer.WriteString("field"u8, field);
            writer.WriteEndObject();
        }

        using JsonDocument document = JsonDocument.Parse(buffer.WrittenMemory);
        return new WebChannelError(WebChannelErrorCodes.InvalidRequest, message, document.RootElement.Clone());
    }
}
