using System.Buffers;
using System.Text.Json;

namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>The JSON the dashboard's API and live socket send: plugins, one plugin's detail, log entries.</summary>
internal static class DashboardJson
{
    /// <summary>How many recent stderr lines a plugin's detail carries.</summary>
    public const int DetailStderrLines = 50;

    private static readonly JsonWriterOptions s_options = new() { Indented = false };

    /// <summary>Returns <c>{"type":"plugins","plugins":[...]}</c> for every plugin of <paramref name="manager"/>, by name.</summary>
    public static byte[] Plugins(IPluginManager manager, DashboardFigures figures, DateTimeOffset now) =>
        Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "plugins"u8);
            writer.WriteStartArray("plugins"u8);
            foreach (string name in manager.Names.Order(StringComparer.Ordinal))
            {
                WritePlugin(writer, manager.GetStatus(name), figures.Of(name), now, detail: null);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        });

    /// <summary>Returns one plugin with its detail: metadata, exits, topics and recent stderr lines.</summary>
    public static byte[] Plugin(IPluginManager manager, DashboardFigures figures, string name, DateTimeOffset now)
    {
        PluginStatus status = manager.GetStatus(name);
        IReadOnlyList<PluginLogEntry> stderr = manager.QueryLogs(new PluginLogQuery { Plugin = name, Source = PluginLogSource.StandardError, MaxEntries = DetailStderrLines });
        return Write(writer => WritePlugin(writer, status, figures.Of(name), now, stderr));
    }

    /// <summary>Returns <c>{"type":"logs","entries":[...]}</c>, in the order given.</summary>
    public static byte[] Logs(IReadOnlyList<PluginLogEntry> entries) =>
        Write(writer =>
        {
            writer.WriteStartObject();
            writer.WriteString("type"u8, "logs"u8);
            WriteEntries(writer, "entries", entries);
            writer.WriteEndObject();
        });

    /// <summary>Returns <paramref name="entries"/> as a JSON array, in the order given (the <c>$/logs</c> result).</summary>
    public static byte[] Entries(IReadOnlyList<PluginLogEntry> entries) => Write(writer => WriteEntries(writer, property: null, entries));

    /// <summary>Writes <paramref name="entries"/> as an array: a property named <paramref name="property"/>, or a value when it is <see langword="null"/>.</summary>
    public static void WriteEntries(Utf8JsonWriter writer, string? property, IReadOnlyList<PluginLogEntry> entries)
    {
        if (property is null)
        {
            writer.WriteStartArray();
        }
        else
        {
            writer.WriteStartArray(property);
        }

        foreach (PluginLogEntry entry in entries)
        {
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

    private static void WritePlugin(Utf8JsonWriter writer, PluginStatus status, PluginFigures figures, DateTimeOffset now, IReadOnlyList<PluginLogEntry>? detail)
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

        if (status.StartedAt is { } startedAt)
        {
            writer.WriteString("startedAt"u8, startedAt);
            writer.WriteNumber("uptimeSeconds"u8, Math.Max(0, (long)(now - startedAt).TotalSeconds));
        }
        else
        {
            writer.WriteNull("uptimeSeconds"u8);
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
