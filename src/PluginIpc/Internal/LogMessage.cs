using System.Buffers;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>Encodes and decodes the body of <c>cmd.log</c>: <c>{"level", "category", "message", "exception"?}</c>, with levels named as <see cref="LogLevel"/> names them.</summary>
internal static class LogMessage
{
    // Indexed by LogLevel: Trace (0) to Critical (5).
    private static readonly string[] s_levelNames = [nameof(LogLevel.Trace), nameof(LogLevel.Debug), nameof(LogLevel.Information), nameof(LogLevel.Warning), nameof(LogLevel.Error), nameof(LogLevel.Critical)];

    public static byte[] Encode(LogLevel level, string category, string message, string? exception)
    {
        var buffer = new ArrayBufferWriter<byte>(64 + category.Length + message.Length);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("level"u8, level.ToString());
            writer.WriteString("category"u8, category);
            writer.WriteString("message"u8, message);
            if (exception is not null)
            {
                writer.WriteString("exception"u8, exception);
            }

            writer.WriteEndObject();
        }

        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Decodes an entry; a body that is not the expected JSON becomes the message of an <see cref="LogLevel.Information"/> entry.</summary>
    public static PluginLogEntry Parse(ReadOnlySpan<byte> body, DateTimeOffset timestamp)
    {
        try
        {
            var reader = new Utf8JsonReader(body);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            JsonElement root = document.RootElement;
            if (root.ValueKind == JsonValueKind.Object)
            {
                LogLevel level = root.TryGetProperty("level", out JsonElement l) && l.ValueKind == JsonValueKind.String ? LevelOf(l.GetString()!) : LogLevel.Information;
                return new PluginLogEntry(timestamp, PluginLogSource.Log, level, GetString(root, "category") ?? "plugin", GetString(root, "message") ?? string.Empty, GetString(root, "exception"));
            }
        }
        catch (Exception ex) when (ex is JsonException or InvalidOperationException)
        {
            // Not JSON, or a string no reader can read (an unpaired surrogate escape): keep the text.
        }

        return new PluginLogEntry(timestamp, PluginLogSource.Log, LogLevel.Information, "plugin", Encoding.UTF8.GetString(body), null);
    }

    /// <summary>Reads one of the six level names, in any case; anything else (<c>None</c>, a number, a list) is Information.</summary>
    private static LogLevel LevelOf(string name)
    {
        for (int level = 0; level < s_levelNames.Length; level++)
        {
            if (string.Equals(name, s_levelNames[level], StringComparison.OrdinalIgnoreCase))
            {
                return (LogLevel)level;
            }
        }

        return LogLevel.Information;
    }

    private static string? GetString(JsonElement root, string name) =>
        root.TryGetProperty(name, out JsonElement value) && value.ValueKind == JsonValueKind.String ? value.GetString() : null;
}
