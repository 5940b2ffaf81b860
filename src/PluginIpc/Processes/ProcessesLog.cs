using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>The source-generated log messages of the process layer (event ids 4xx).</summary>
internal static partial class ProcessesLog
{
    [LoggerMessage(400, LogLevel.Debug, "Started plugin process {ProcessId} from {Executable} over {Transport}.", EventName = "ProcessStarted")]
    public static partial void ProcessStarted(ILogger logger, int processId, string executable, PluginTransport transport);

    [LoggerMessage(401, LogLevel.Debug, "Plugin process {ProcessId} exited with code {ExitCode}.", EventName = "ProcessExited")]
    public static partial void ProcessExited(ILogger logger, int processId, int exitCode);

    [LoggerMessage(402, LogLevel.Debug, "Killing plugin process {ProcessId} and its descendants.", EventName = "KillingProcess")]
    public static partial void KillingProcess(ILogger logger, int processId);

    [LoggerMessage(403, LogLevel.Warning, "Could not kill plugin process {ProcessId}.", EventName = "KillFailed")]
    public static partial void KillFailed(ILogger logger, int processId, Exception exception);

    [LoggerMessage(404, LogLevel.Information, "{Line}", EventName = "StandardError")]
    public static partial void StandardError(ILogger logger, string line);

    [LoggerMessage(405, LogLevel.Information, "{Line}", EventName = "StandardOutput")]
    public static partial void StandardOutput(ILogger logger, string line);

    [LoggerMessage(406, LogLevel.Warning, "Reading the {Source} of plugin process {ProcessId} failed.", EventName = "OutputReadFailed")]
    public static partial void OutputReadFailed(ILogger logger, PluginOutputSource source, int processId, Exception exception);

    [LoggerMessage(407, LogLevel.Warning, "Plugin process {ProcessId} exited, but its output was still open after {TimeoutMs} ms; a descendant may hold it.", EventName = "OutputDrainTimedOut")]
    public static partial void OutputDrainTimedOut(ILogger logger, int processId, int timeoutMs);

    [LoggerMessage(408, LogLevel.Debug, "Could not start plugin executable {Executable}.", EventName = "StartFailed")]
    public static partial void StartFailed(ILogger logger, string executable, Exception exception);

    [LoggerMessage(409, LogLevel.Warning, "The host is exiting: killing plugin process {ProcessId}, which was never stopped.", EventName = "OrphanKilled")]
    public static partial void OrphanKilled(ILogger logger, int processId);

    [LoggerMessage(410, LogLevel.Warning, "The output callback of plugin process {ProcessId} threw.", EventName = "OutputCallbackFailed")]
    public static partial void OutputCallbackFailed(ILogger logger, int processId, Exception exception);

    [LoggerMessage(411, LogLevel.Warning, "Plugin process {ProcessId} exited and left {Count} processes running; killed them: {ProcessIds}.", EventName = "LeftoversKilled")]
    public static partial void LeftoversKilled(ILogger logger, int processId, int count, string processIds);

    [LoggerMessage(412, LogLevel.Warning, "Looking for processes that plugins left running failed.", EventName = "LeftoverSweepFailed")]
    public static partial void LeftoverSweepFailed(ILogger logger, Exception exception);
}
