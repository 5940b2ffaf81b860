using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>Source-generated log messages of the plugin manager and discovery (event ids 5xx).</summary>
internal static partial class PluginManagerLog
{
    [LoggerMessage(500, LogLevel.Debug, "Plugin folder {Folder} does not exist; no plugins discovered there.", EventName = "FolderMissing")]
    public static partial void FolderMissing(ILogger logger, string folder);

    [LoggerMessage(501, LogLevel.Information, "Discovered plugin {PluginName} in {ManifestPath}.", EventName = "Discovered")]
    public static partial void Discovered(ILogger logger, string pluginName, string manifestPath);

    [LoggerMessage(502, LogLevel.Warning, "Plugin manifest {ManifestPath} was skipped: {Problem} (field: {Field}).", EventName = "ManifestInvalid")]
    public static partial void ManifestInvalid(ILogger logger, string manifestPath, string field, string problem);

    [LoggerMessage(503, LogLevel.Information, "Plugin {PluginName} is starting ({StartMode}).", EventName = "Starting")]
    public static partial void Starting(ILogger logger, string pluginName, StartMode startMode);

    [LoggerMessage(504, LogLevel.Error, "Plugin {PluginName} failed to start (the next GetAsync tries again): {Reason}", EventName = "StartFailed")]
    public static partial void StartFailed(ILogger logger, string pluginName, string reason, Exception exception);

    [LoggerMessage(505, LogLevel.Warning, "Plugin {PluginName} could not be stopped cleanly.", EventName = "StopFailed")]
    public static partial void StopFailed(ILogger logger, string pluginName, Exception exception);

    [LoggerMessage(506, LogLevel.Information, "Stopping {Count} plugins.", EventName = "Stopping")]
    public static partial void Stopping(ILogger logger, int count);

    [LoggerMessage(507, LogLevel.Information, "All plugins stopped.", EventName = "Stopped")]
    public static partial void Stopped(ILogger logger);

    [LoggerMessage(508, LogLevel.Information, "Plugin {PluginName}: start requested.", EventName = "StartRequested")]
    public static partial void StartRequested(ILogger logger, string pluginName);

    [LoggerMessage(509, LogLevel.Information, "Plugin {PluginName}: stop requested; it stays stopped until it is started again.", EventName = "StopRequested")]
    public static partial void StopRequested(ILogger logger, string pluginName);

    [LoggerMessage(510, LogLevel.Information, "Plugin {PluginName}: restart requested.", EventName = "RestartRequested")]
    public static partial void RestartRequested(ILogger logger, string pluginName);
}
