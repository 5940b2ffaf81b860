using Microsoft.Extensions.Logging;

namespace PluginIpc.AspNetCore.Diagnostics;

/// <summary>Source-generated log messages of the gateway (event ids 800-859; 850-859 the dashboard's), under the category <c>PluginIpc.AspNetCore.Gateway</c>.</summary>
internal static partial class GatewayLog
{
    public const string Category = "PluginIpc.AspNetCore.Gateway";

    [LoggerMessage(800, LogLevel.Error, "{Problem}", EventName = "NoAuthentication")]
    public static partial void NoAuthentication(ILogger logger, string problem);

    [LoggerMessage(801, LogLevel.Warning, "Plugin '{Plugin}' could not be reached for a gateway call to {Cmd}.", EventName = "PluginUnavailable")]
    public static partial void PluginUnavailable(ILogger logger, string plugin, string cmd, Exception exception);

    [LoggerMessage(802, LogLevel.Error, "A gateway call to {Plugin}/{Cmd} failed inside the gateway.", EventName = "CallFailed")]
    public static partial void CallFailed(ILogger logger, string plugin, string cmd, Exception exception);

    [LoggerMessage(803, LogLevel.Warning, "A gateway call's answer could not be mapped to JSON ({Plugin}/{Cmd}): {Message}", EventName = "AnswerNotMapped")]
    public static partial void AnswerNotMapped(ILogger logger, string plugin, string cmd, string message);

    [LoggerMessage(830, LogLevel.Error, "A gateway JSON-RPC request failed inside the gateway; it is answered with an internal error.", EventName = "RequestFailed")]
    public static partial void RequestFailed(ILogger logger, Exception exception);

    [LoggerMessage(810, LogLevel.Warning, "A gateway client ({Remote}) did not read its messages: its send queue (at most {MaxMessages} messages, {MaxBytes} bytes) was full; it is disconnected with close code {CloseCode}.", EventName = "SlowClient")]
    public static partial void SlowClient(ILogger logger, string remote, int maxMessages, int maxBytes, int closeCode);

    [LoggerMessage(811, LogLevel.Information, "A gateway client ({Remote}) sent a message over {Limit} bytes; it is disconnected with close code 1009.", EventName = "MessageTooBig")]
    public static partial void MessageTooBig(ILogger logger, string remote, int limit);

    [LoggerMessage(812, LogLevel.Information, "The gateway refused a WebSocket connection from {Remote}: {Limit} are open.", EventName = "TooManyConnections")]
    public static partial void TooManyConnections(ILogger logger, string remote, int limit);

    [LoggerMessage(813, LogLevel.Debug, "A gateway WebSocket connection ({Remote}) was idle for {IdleTimeout}; it is closed.", EventName = "Idle")]
    public static partial void Idle(ILogger logger, string remote, TimeSpan idleTimeout);

    [LoggerMessage(814, LogLevel.Debug, "A gateway WebSocket connection ({Remote}) ended: {Reason}", EventName = "ConnectionEnded")]
    public static partial void ConnectionEnded(ILogger logger, string remote, string reason);

    [LoggerMessage(815, LogLevel.Information, "The gateway refused a request from {Remote}: {Reason}.", EventName = "Refused")]
    public static partial void Refused(ILogger logger, string remote, string reason);

    [LoggerMessage(816, LogLevel.Warning, "A gateway client's subscription to {Topic} failed.", EventName = "SubscribeFailed")]
    public static partial void SubscribeFailed(ILogger logger, string topic, Exception exception);

    [LoggerMessage(850, LogLevel.Information, "Dashboard: {Action} of plugin {PluginName}, asked by {Remote}.", EventName = "DashboardAction")]
    public static partial void DashboardAction(ILogger logger, string action, string pluginName, string remote);

    [LoggerMessage(851, LogLevel.Warning, "Dashboard: {Action} of plugin {PluginName} failed: {Reason}", EventName = "DashboardActionFailed")]
    public static partial void DashboardActionFailed(ILogger logger, string action, string pluginName, string reason);

    [LoggerMessage(852, LogLevel.Information, "Dashboard: a session began for {Remote}.", EventName = "DashboardSignedIn")]
    public static partial void DashboardSignedIn(ILogger logger, string remote);

    [LoggerMessage(853, LogLevel.Error, "Dashboard: a live socket ({Remote}) failed; it is closed.", EventName = "DashboardLiveFailed")]
    public static partial void DashboardLiveFailed(ILogger logger, string remote, Exception exception);
}
