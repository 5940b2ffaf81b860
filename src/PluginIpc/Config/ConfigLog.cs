using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>Source-generated log messages of the configuration store (event ids 900-919).</summary>
internal static partial class ConfigLog
{
    [LoggerMessage(900, LogLevel.Debug, "Configuration of plugin {PluginName} changed: {Scope} key {Key}, by {ChangedBy}.", EventName = "ConfigChanged")]
    public static partial void Changed(ILogger logger, string pluginName, string scope, string key, string changedBy);

    [LoggerMessage(901, LogLevel.Warning, "The configuration file {Path} cannot be read: {Reason} (reported once until the file changes)", EventName = "ConfigFileInvalid")]
    public static partial void FileInvalid(ILogger logger, string path, string reason);

    [LoggerMessage(902, LogLevel.Warning, "Plugin {PluginName} was refused a configuration change: {Reason}", EventName = "ConfigRefused")]
    public static partial void Refused(ILogger logger, string pluginName, string reason);

    [LoggerMessage(903, LogLevel.Warning, "A temporary configuration file {Path} could not be deleted.", EventName = "ConfigTempNotDeleted")]
    public static partial void TempNotDeleted(ILogger logger, string path, Exception exception);

    [LoggerMessage(904, LogLevel.Debug, "Removed the temporary configuration file {Path}, left by a write that did not finish.", EventName = "ConfigTempRemoved")]
    public static partial void TempRemoved(ILogger logger, string path);

    [LoggerMessage(905, LogLevel.Warning, "The configuration folder {Folder} could not be searched for temporary files left by unfinished writes.", EventName = "ConfigSweepFailed")]
    public static partial void SweepFailed(ILogger logger, string folder, Exception exception);
}
