using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>Source-generated log messages of <see cref="Plugin"/> (event ids 3xx).</summary>
internal static partial class PluginLog
{
    [LoggerMessage(300, LogLevel.Information, "Plugin {PluginName} is running as process {ProcessId} ({Framer}, {Transport}).", EventName = "Started")]
    public static partial void Started(ILogger logger, string pluginName, int processId, string framer, PluginTransport transport);

    [LoggerMessage(301, LogLevel.Debug, "Plugin {PluginName}: {PreviousState} -> {State}.", EventName = "StateChanged")]
    public static partial void StateChanged(ILogger logger, string pluginName, PluginState previousState, PluginState state);

    [LoggerMessage(302, LogLevel.Warning, "Plugin {PluginName} (process {ProcessId}) went away with exit code {ExitCode}.", EventName = "Crashed")]
    public static partial void Crashed(ILogger logger, string pluginName, int processId, int exitCode, Exception reason);

    [LoggerMessage(303, LogLevel.Information, "Plugin {PluginName} restarted as process {ProcessId} (restart {RestartCount}).", EventName = "Restarted")]
    public static partial void Restarted(ILogger logger, string pluginName, int processId, int restartCount);

    [LoggerMessage(304, LogLevel.Warning, "Plugin {PluginName} could not be restarted.", EventName = "RestartFailed")]
    public static partial void RestartFailed(ILogger logger, string pluginName, Exception exception);

    [LoggerMessage(305, LogLevel.Warning, "Plugin {PluginName} (process {ProcessId}) did not answer a ping within {Timeout}; killing it.", EventName = "PingTimedOut")]
    public static partial void PingTimedOut(ILogger logger, string pluginName, int processId, TimeSpan timeout);

    [LoggerMessage(306, LogLevel.Warning, "Plugin {PluginName} (process {ProcessId}) did not exit within {Timeout} of cmd.stop; killing its process tree.", EventName = "StopTimedOut")]
    public static partial void StopTimedOut(ILogger logger, string pluginName, int processId, TimeSpan timeout);

    [LoggerMessage(307, LogLevel.Warning, "Plugin {PluginName} could not be stopped cleanly.", EventName = "StopFailed")]
    public static partial void StopFailed(ILogger logger, string pluginName, Exception exception);

    [LoggerMessage(308, LogLevel.Warning, "Plugin {PluginName}: a {EventName} handler threw.", EventName = "EventHandlerFailed")]
    public static partial void EventHandlerFailed(ILogger logger, string pluginName, string eventName, Exception exception);

    [LoggerMessage(EventId = 309, Message = "[{PluginCategory}] {Message}{ExceptionText}", EventName = "PluginEntry")]
    private static partial void PluginEntryCore(ILogger logger, LogLevel level, string pluginCategory, string message, string exceptionText);

    [LoggerMessage(310, LogLevel.Information, "[{Stream}] {Line}", EventName = "OutputLine")]
    public static partial void OutputLine(ILogger logger, string stream, string line);

    [LoggerMessage(311, LogLevel.Warning, "Plugin {PluginName}: bridge messages wait for a reader (at most {Capacity}, and 16 Mi chars); the oldest was dropped ({Dropped} so far).", EventName = "BridgeMessageDropped")]
    public static partial void BridgeMessageDropped(ILogger logger, string pluginName, int capacity, long dropped);

    [LoggerMessage(312, LogLevel.Warning, "Plugin {PluginName} (process {ProcessId}): a ping failed unexpectedly; pinging goes on.", EventName = "PingFailed")]
    public static partial void PingFailed(ILogger logger, string pluginName, int processId, Exception exception);

    [LoggerMessage(313, LogLevel.Error, "Plugin {PluginName} (process {ProcessId}) was killed but had not exited {Timeout} later; it is treated as gone.", EventName = "KillTimedOut")]
    public static partial void KillTimedOut(ILogger logger, string pluginName, int processId, TimeSpan timeout);

    /// <summary>Logs an entry the plugin sent with <c>cmd.log</c>, at the plugin's own level.</summary>
    public static void PluginEntry(ILogger logger, LogLevel level, string pluginCategory, string message, string? exception) =>
        PluginEntryCore(logger, level, pluginCategory, message, exception is null ? string.Empty : Environment.NewLine + exception);
}
