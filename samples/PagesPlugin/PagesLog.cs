using Microsoft.Extensions.Logging;

namespace PagesPlugin;

/// <summary>The plugin's log messages.</summary>
internal static partial class PagesLog
{
    [LoggerMessage(EventId = 1, Level = LogLevel.Information, Message = "PagesPlugin started (process {ProcessId}), database {DatabasePath}.")]
    public static partial void Started(ILogger logger, int processId, string databasePath);
}
