using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>
/// Which of a plugin's kept log entries and output lines to return: <see cref="Plugin.QueryLogs"/> and
/// <see cref="IPluginManager.QueryLogs"/> return the newest <see cref="MaxEntries"/> that match every condition set, newest first.
/// </summary>
public sealed record PluginLogQuery
{
    /// <summary>The most entries a query may ask for.</summary>
    public const int MaxEntriesLimit = 10_000;

    /// <summary>Gets the plugin's name, or <see langword="null"/> for every plugin (<see cref="IPluginManager.QueryLogs"/> only).</summary>
    public string? Plugin { get; init; }

    /// <summary>Gets the lowest level returned; output lines count as <see cref="LogLevel.Information"/>.</summary>
    /// <value>Defaults to <see cref="LogLevel.Trace"/>: every level.</value>
    public LogLevel MinimumLevel { get; init; } = LogLevel.Trace;

    /// <summary>Gets text that the entry's message, category or exception must contain (ordinal, ignoring case), or <see langword="null"/>.</summary>
    public string? Contains { get; init; }

    /// <summary>Gets the earliest <see cref="PluginLogEntry.Timestamp"/> returned (inclusive), or <see langword="null"/>.</summary>
    public DateTimeOffset? Since { get; init; }

    /// <summary>Gets where the entries must come from, or <see langword="null"/> for any source.</summary>
    public PluginLogSource? Source { get; init; }

    /// <summary>Gets the most entries returned, from 1 to <see cref="MaxEntriesLimit"/>.</summary>
    /// <value>Defaults to 100.</value>
    public int MaxEntries { get; init; } = 100;

    /// <summary>Throws when a value is out of range; the message names it.</summary>
    internal void Validate()
    {
        if (MaxEntries is < 1 or > MaxEntriesLimit)
        {
            throw new ArgumentOutOfRangeException(nameof(MaxEntries), MaxEntries, $"PluginLogQuery.MaxEntries must be from 1 to {MaxEntriesLimit}.");
        }

        if (MinimumLevel is < LogLevel.Trace or > LogLevel.None)
        {
            throw new ArgumentOutOfRangeException(nameof(MinimumLevel), MinimumLevel, "PluginLogQuery.MinimumLevel is not a log level.");
        }
    }

    /// <summary>Returns whether <paramref name="entry"/> meets every condition but the plugin's name.</summary>
    internal bool Matches(PluginLogEntry entry) =>
        entry.Level >= MinimumLevel
        && entry.Level != LogLevel.None
        && (Since is not { } since || entry.Timestamp >= since)
        && (Source is not { } source || entry.Source == source)
        && (string.IsNullOrEmpty(Contains)
            || entry.Message.Contains(Contains, StringComparison.OrdinalIgnoreCase)
            || entry.Category.Contains(Contains, StringComparison.OrdinalIgnoreCase)
            || (entry.Exception?.Contains(Contains, StringComparison.OrdinalIgnoreCase) ?? false));
}
