using System.Globalization;
using System.Text.Json;
using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Logging;

namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>
/// Reads a log query sent by a client (<c>plugin</c>, <c>level</c>, <c>contains</c>, <c>since</c>, <c>max</c>) from a query
/// string or a JSON object, within the limits below; every refusal names the field.
/// </summary>
internal static class LogQueryReader
{
    /// <summary>The most entries a client may ask for at once.</summary>
    public const int MaxEntries = 1000;

    /// <summary>The longest <c>contains</c> text.</summary>
    public const int MaxContainsLength = 200;

    /// <summary>Reads the query string of a request.</summary>
    public static PluginLogQuery Read(IQueryCollection query) =>
        Build(Single(query, "plugin"), Single(query, "level"), Single(query, "contains"), Single(query, "since"), Single(query, "max"));

    /// <summary>Reads a JSON object (none: every default); <c>max</c> may be a number or a string.</summary>
    /// <exception cref="LogQueryException">A field is invalid.</exception>
    public static PluginLogQuery Read(JsonElement json)
    {
        if (json.ValueKind == JsonValueKind.Undefined)
        {
            return new PluginLogQuery();
        }

        if (json.ValueKind != JsonValueKind.Object)
        {
            throw new LogQueryException("A log query is a JSON object with plugin, level, contains, since and max, each optional.");
        }

        return Build(Text(json, "plugin"), Text(json, "level"), Text(json, "contains"), Text(json, "since"), Text(json, "max"));
    }

    /// <summary>Builds and checks the query from the fields' texts (<see langword="null"/> or empty: not set).</summary>
    /// <exception cref="LogQueryException">A field is invalid.</exception>
    public static PluginLogQuery Build(string? plugin, string? level, string? contains, string? since, string? max)
    {
        var query = new PluginLogQuery { Plugin = NullIfEmpty(plugin), Contains = NullIfEmpty(contains) };
        if (query.Contains is { Length: > MaxContainsLength })
        {
            throw new LogQueryException($"'contains' may be at most {MaxContainsLength} chars.");
        }

        if (NullIfEmpty(level) is { } levelText)
        {
            query = query with { MinimumLevel = ParseLevel(levelText) };
        }

        if (NullIfEmpty(since) is { } sinceText)
        {
            if (!DateTimeOffset.TryParse(sinceText, CultureInfo.InvariantCulture, DateTimeStyles.AssumeUniversal, out DateTimeOffset from))
            {
                throw new LogQueryException($"'since' must be a date and time such as 2026-12-07T10:00:00Z, not '{Shorten(sinceText)}'.");
            }

            query = query with { Since = from };
        }

        if (NullIfEmpty(max) is { } maxText)
        {
            if (!int.TryParse(maxText, NumberStyles.None, CultureInfo.InvariantCulture, out int count) || count is < 1 or > MaxEntries)
            {
                throw new LogQueryException($"'max' must be a whole number from 1 to {MaxEntries}, not '{Shorten(maxText)}'.");
            }

            query = query with { MaxEntries = count };
        }

        return query;
    }

    private static LogLevel ParseLevel(string text) => text.ToLowerInvariant() switch
    {
        "trace" => LogLevel.Trace,
        "debug" => LogLevel.Debug,
        "information" or "info" => LogLevel.Information,
        "warning" or "warn" => LogLevel.Warning,
        "error" => LogLevel.Error,
        "critical" => LogLevel.Critical,
        _ => throw new LogQueryException($"'level' must be Trace, Debug, Information, Warning, Error or Critical, not '{Shorten(text)}'."),
    };

    private static string? Single(IQueryCollection query, string name) =>
        query.TryGetValue(name, out Microsoft.Extensions.Primitives.StringValues values)
            ? values.Count == 1 ? values[0] : throw new LogQueryException($"'{name}' is given {values.Count} times.")
            : null;

    private static string? Text(JsonElement json, string name)
    {
        if (!json.TryGetProperty(name, out JsonElement value))
        {
            return null;
        }

        return value.ValueKind switch
        {
            JsonValueKind.Null => null,
            JsonValueKind.String => value.GetString(),
            JsonValueKind.Number => value.GetRawText(),
            _ => throw new LogQueryException($"'{name}' must be a string{(name == "max" ? " or a number" : string.Empty)}."),
        };
    }

    private static string? NullIfEmpty(string? text) => string.IsNullOrEmpty(text) ? null : text;

    /// <summary>Shortens what a client sent for an error message: a message never echoes a large input back.</summary>
    internal static string Shorten(string text) => text.Length <= 40 ? text : text[..40] + "...";
}
