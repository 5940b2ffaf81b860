using System.Buffers;
using System.Text.Json;

namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>The JSON the dashboard's API and live socket send: plugins, one plugin's detail, log entries.</summary>
internal static class DashboardJson
{
    /// <summary>How many recent stderr lines a plugin's detail carries.</summary>
    public const int DetailStderrLines = 50;

    /// <summary>About the most bytes of log entries one message carries (the entry that crosses it is the last): older entries are left out, and <c>truncated</c> says so.</summary>
    public const int MaxLogBytes = 1024 * 1024;

    private static readonly JsonWriterOptions s_options = new() { Indented = false };

    /// <summary>Returns <c>{"type":"plugins","plugins":[...]}</c> for every plugin of <paramref name="manager"/>, by name.</summary>
    public static byte[] Plugins(IPluginManager manager, DashboardFigures figures) =>
        Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "plugins"u8);
            writer.WriteStartArray("plugins"u8);
            foreach (string name in manager.Names.Order(StringComparer.Ordinal))
            {
                WritePlugin(writer, manager.GetStatus(name), figures.Of(name), detail: null);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });

    /// <summary>Returns one plugin with its detail: metadata, exits, topics and recent stderr lines.</summary>
    public static byte[] Plugin(IPluginManager manager, DashboardFigures figures, string name)
    {
        PluginStatus status = manager.GetStatus(name);
        IReadOnlyList<PluginLogEntry> stderr = manager.QueryLogs(new PluginLogQuery { Plugin = name, Source = PluginLogSource.StandardError, MaxEntries = DetailStderrLines });
        return Write(writer => WritePlugin(writer, status, figures.Of(name), stderr));
    }

    /// <summary>Returns <c>{"type":"logs","entries":[...],"truncated":false}</c>, in the order given, within about <paramref name="maxBytes"/>.</summary>
    /// <param name="entries">The entries.</param>
    /// <param name="maxBytes">About the most the entries take: writing stops after the entry that crosses it.</param>
    /// <param name="leftOut">Whether the caller left entries out already: <c>truncated</c> then says so.</param>
    public static byte[] Logs(IReadOnlyList<PluginLogEntry> entries, int maxBytes = MaxLogBytes, bool leftOut = false) =>
        Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "logs"u8);
            bool truncated = WriteEntries(writer, "entries", entries, maxBytes);
            writer.WriteBoolean("truncated"u8, truncated || leftOut);
            writer.WriteEndObject();
        });

    /// <summary>Returns <paramref name="entries"/> as a JSON array, in the order given, within about <paramref name="maxBytes"/> (the <c>$/logs</c> result).</summary>
    public static byte[] Entries(IReadOnlyList<PluginLogEntry> entries, int maxBytes = MaxLogBytes) => Write(writer => WriteEntries(writer, property: null, entries, maxBytes));

    /// <summary>Writes <paramref name="entries"/> as an array (a property named <paramref name="property"/>, or a value when it is <see langword="null"/>), stopping after the entry that crosses <paramref name="maxBytes"/>.</summary>
    /// <returns>Whether entries were left out.</returns>
    public static bool WriteEntries(Utf8JsonWriter writer, string? property, IReadOnlyList<PluginLogEntry> entries, int maxBytes = MaxLogBytes)
    {
        long start = writer.BytesCommitted + writer.BytesPending;
        if (property is null)
        {
            writer.WriteStartArray();
        }
        else
        {
            writer.WriteStartArray(property);
        }

        for (int i = 0; i < entries.Count; i++)
        {
            if (writer.BytesCommitted + writer.BytesPending - start > maxBytes)
            {
                writer.WriteEndArray();
                return true;
            }

            PluginLogEntry entry = entries[i];
            writer.WriteStartObject();
            writer.WriteString("plugin"u8, entry.Plugin);
            writer.WriteString("time"u8, entry.Timestamp);
            writer.WriteString("level"u8, entry.Level.ToString());
            writer.WriteString("source"u8, SourceName(entry.Source));
            writer.WriteString("category"u8, entry.Category);
            writer.WriteString("message"u8, entry.Message);
            if (entry.Exception is { } exception)
            {
                writer.WriteString("exception"u8, exception);
            }

            writer.WriteEndObject();
        }

        writer.WriteEndArray();
        return false;
    }

    /// <summary>Returns <c>{"error": message}</c>.</summary>
    public static byte[] Error(string message) =>
        Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("error"u8, message);
            writer.WriteEndObject();
        });

    private static string SourceName(PluginLogSource source) => source switch
    {
        PluginLogSource.StandardError => "stderr",
        PluginLogSource.StandardOutput => "stdout",
        _ => "log",
    };

    private static void WritePlugin(Utf8JsonWriter writer, PluginStatus status, PluginFigures figures, IReadOnlyList<PluginLogEntry>? detail)
    {
        writer.WriteStartObject();
        writer.WriteString("name"u8, status.Name);
        writer.WriteString("state"u8, status.State.ToString());
        writer.WriteBoolean("held"u8, status.IsHeld);
        WriteOptional(writer, "lastError", status.LastError);
        if (status.ProcessId is { } processId)
        {
            writer.WriteNumber("processId"u8, processId);
        }
        else
        {
            writer.WriteNull("processId"u8);
        }

        // The page counts the uptime itself: a list that changes every second would be sent (and redrawn) every second.
        if (status.StartedAt is { } startedAt)
        {
            writer.WriteString("startedAt"u8, startedAt);
        }
        else
        {
            writer.WriteNull("startedAt"u8);
        }

        writer.WriteNumber("restarts"u8, status.RestartCount);
        WriteOptional(writer, "framer", status.Framer);
        WriteOptional(writer, "transport", status.Transport?.ToString());
        writer.WriteNumber("calls"u8, figures.Calls);
        writer.WriteNumber("errors"u8, figures.Errors);
        writer.WriteNumber("callsPerSecond"u8, Math.Round(figures.CallsPerSecond, 1));
        writer.WriteNumber("errorsPerSecond"u8, Math.Round(figures.ErrorsPerSecond, 1));
        if (status.LastExit is { } lastExit)
        {
            writer.WritePropertyName("lastExit"u8);
            WriteExit(writer, lastExit);
        }

        if (detail is not null)
        {
            writer.WriteStartObject("metadata"u8);
            foreach (KeyValuePair<string, string> item in status.Metadata.OrderBy(m => m.Key, StringComparer.Ordinal))
            {
                writer.WriteString(item.Key, item.Value);
            }

            writer.WriteEndObject();
            writer.WriteStartArray("exits"u8);
            foreach (PluginExit exit in status.Exits)
            {
                WriteExit(writer, exit);
            }

            writer.WriteEndArray();
            WriteStrings(writer, "publishedTopics", status.PublishedTopics);
            WriteStrings(writer, "subscriptions", status.Subscriptions);
            writer.WriteStartArray("stderr"u8);
            for (int i = detail.Count - 1; i >= 0; i--)
            {
                writer.WriteStartObject();
                writer.WriteString("time"u8, detail[i].Timestamp);
                writer.WriteString("text"u8, detail[i].Message);
                writer.WriteEndObject();
            }

            writer.WriteEndArray();
        }

        writer.WriteEndObject();
    }

    private static void WriteExit(Utf8JsonWriter writer, PluginExit exit)
    {
        writer.WriteStartObject();
        writer.WriteString("time"u8, exit.Time);
        writer.WriteNumber("processId"u8, exit.ProcessId);
        writer.WriteNumber("exitCode"u8, exit.ExitCode);
        writer.WriteBoolean("expected"u8, exit.Expected);
        WriteOptional(writer, "reason", exit.Reason);
        writer.WriteEndObject();
    }

    private static void WriteStrings(Utf8JsonWriter writer, string property, IReadOnlyList<string> values)
    {
        writer.WriteStartArray(property);
        foreach (string value in values)
        {
            writer.WriteStringValue(value);
        }

        writer.WriteEndArray();
    }

    private static void WriteOptional(Utf8JsonWriter writer, string property, string? value)
    {
        if (value is null)
        {
            writer.WriteNull(property);
        }
        else
        {
            writer.WriteString(property, value);
        }
    }

    private static byte[] Write(Action<Utf8JsonWriter> write)
    {
        var buffer = new ArrayBufferWriter<byte>(1024);
        using (var writer = new Utf8JsonWriter(buffer, s_options))
        {
            write(writer);
        }

        return buffer.WrittenSpan.ToArray();
    }
}
