using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>One line of a plugin's output or one entry it logged, as kept in <see cref="Plugin.GetRecentLogs"/>.</summary>
/// <param name="Timestamp">When the host received it.</param>
/// <param name="Source">Where it came from.</param>
/// <param name="Level">Its level: the plugin's own for <see cref="PluginLogSource.Log"/>, <see cref="LogLevel.Information"/> for output lines.</param>
/// <param name="Category">The plugin's logging category, or <c>stderr</c> / <c>stdout</c> for output lines.</param>
/// <param name="Message">The text.</param>
/// <param name="Exception">The exception text the plugin logged with it, if any.</param>
public sealed record PluginLogEntry(DateTimeOffset Timestamp, PluginLogSource Source, LogLevel Level, string Category, string Message, string? Exception)
{
    /// <summary>Gets the name of the plugin it came from.</summary>
    public string Plugin { get; init; } = string.Empty;
}
