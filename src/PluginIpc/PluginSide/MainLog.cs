using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>Source-generated log messages of <see cref="Main"/> (event ids 2xx), sent to the host.</summary>
internal static partial class MainLog
{
    [LoggerMessage(200, LogLevel.Debug, "Plugin {PluginName} connected to its host ({Framer}).", EventName = "Connected")]
    public static partial void Connected(ILogger logger, string pluginName, string framer);

    [LoggerMessage(201, LogLevel.Error, "Plugin {PluginName}: the start hook failed.", EventName = "StartFailed")]
    public static partial void StartFailed(ILogger logger, string pluginName, Exception exception);

    [LoggerMessage(202, LogLevel.Error, "Plugin {PluginName}: the stop hook failed.", EventName = "StopFailed")]
    public static partial void StopFailed(ILogger logger, string pluginName, Exception exception);

    [LoggerMessage(203, LogLevel.Warning, "Plugin {PluginName}: the host did not answer a ping within {Timeout}.", EventName = "HostUnresponsive")]
    public static partial void HostUnresponsive(ILogger logger, string pluginName, TimeSpan timeout);

    [LoggerMessage(204, LogLevel.Warning, "Plugin {PluginName}: a ping to the host failed unexpectedly; pinging goes on.", EventName = "PingFailed")]
    public static partial void PingFailed(ILogger logger, string pluginName, Exception exception);

    [LoggerMessage(205, LogLevel.Warning, "Plugin {PluginName}: the stop hook did not finish within the stop grace period ({GracePeriod}); the plugin stops without it.", EventName = "StopHookCutShort")]
    public static partial void StopHookCutShort(ILogger logger, string pluginName, TimeSpan gracePeriod);
}
