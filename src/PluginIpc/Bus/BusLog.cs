using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>Source-generated log messages of the bus (event ids 6xx).</summary>
internal static partial class BusLog
{
    [LoggerMessage(600, LogLevel.Warning, "A bus handler of topic {Topic} failed; the subscription goes on.", EventName = "HandlerFailed")]
    public static partial void HandlerFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(601, LogLevel.Warning, "Plugin {PluginName} was refused: {Reason}", EventName = "PluginRefused")]
    public static partial void PluginRefused(ILogger logger, string pluginName, string reason);

    [LoggerMessage(602, LogLevel.Debug, "Bus messages for plugin {PluginName} could not be sent; dropped.", EventName = "PluginDeliveryFailed")]
    public static partial void PluginDeliveryFailed(ILogger logger, string pluginName, Exception exception);

    [LoggerMessage(603, LogLevel.Warning, "A subscriber of {Topic} failed a bus request (left out of the replies).", EventName = "RequestFailed")]
    public static partial void RequestFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(604, LogLevel.Information, "sys.restart: restarting plugin {PluginName}.", EventName = "Restarting")]
    public static partial void Restarting(ILogger logger, string pluginName);

    [LoggerMessage(605, LogLevel.Warning, "sys.restart could not restart plugin {PluginName}.", EventName = "RestartFailed")]
    public static partial void RestartFailed(ILogger logger, string pluginName, Exception exception);

    [LoggerMessage(606, LogLevel.Warning, "{Count} bus message(s) from other hosts, or for sys.restart, were not valid and were dropped ({Total} so far); the last: {Reason}", EventName = "RelayMessageInvalid")]
    public static partial void RelayMessageInvalid(ILogger logger, long count, long total, string reason);

    [LoggerMessage(607, LogLevel.Warning, "A message of topic {Topic} could not be relayed to other hosts.", EventName = "RelayFailed")]
    public static partial void RelayFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(608, LogLevel.Warning, "The relay did not take this host's subscriptions (now {Topics} topics and {Patterns} patterns) in time; messages of other hosts may miss them until it does.", EventName = "RelaySubscribeFailed")]
    public static partial void RelaySubscribeFailed(ILogger logger, int topics, int patterns, Exception exception);

    [LoggerMessage(609, LogLevel.Information, "Plugin {PluginName} runs anew; {Count} bus subscriptions of its earlier process that it did not make again were dropped.", EventName = "StaleSubscriptionsDropped")]
    public static partial void StaleSubscriptionsDropped(ILogger logger, string pluginName, int count);
}
