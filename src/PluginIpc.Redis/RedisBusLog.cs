using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>Source-generated log messages of the Redis relay (event ids 7xx), under the category <c>PluginIpc.Bus.Redis</c>.</summary>
internal static partial class RedisBusLog
{
    [LoggerMessage(700, LogLevel.Information, "The bus is connected to Redis ({Endpoints}) on channel {Channel}.", EventName = "Connected")]
    public static partial void Connected(ILogger logger, string endpoints, string channel);

    [LoggerMessage(701, LogLevel.Warning, "The bus lost its connection to Redis ({Endpoint}, {FailureType}); messages for other hosts are {Policy} until it is back.", EventName = "Disconnected")]
    public static partial void Disconnected(ILogger logger, string endpoint, string failureType, string policy, Exception? exception);

    [LoggerMessage(702, LogLevel.Information, "The bus is reconnected to Redis ({Endpoint}).", EventName = "Reconnected")]
    public static partial void Reconnected(ILogger logger, string endpoint);

    [LoggerMessage(703, LogLevel.Warning, "{Count} messages for other hosts were lost ({Total} in all): Redis was unreachable or slower than the publishers, and the buffer holds {BufferSize}.", EventName = "Lost")]
    public static partial void Lost(ILogger logger, long count, long total, int bufferSize);

    [LoggerMessage(704, LogLevel.Warning, "The bus could not subscribe to (or unsubscribe from) channel {Channel} of Redis yet; it tries again (logged at most every 5 s).", EventName = "SubscribeFailed")]
    public static partial void SubscribeFailed(ILogger logger, string channel, Exception exception);

    [LoggerMessage(705, LogLevel.Error, "The Redis relay of the bus failed and stopped; messages no longer cross hosts.", EventName = "RelayFailed")]
    public static partial void RelayFailed(ILogger logger, Exception exception);
}
