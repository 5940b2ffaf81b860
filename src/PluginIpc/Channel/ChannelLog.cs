using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>Source-generated log messages of <see cref="Channel"/> (event ids 1xx).</summary>
internal static partial class ChannelLog
{
    [LoggerMessage(100, LogLevel.Debug, "Channel {ChannelName} started with framer {Framer}.", EventName = "Started")]
    public static partial void Started(ILogger logger, string channelName, string framer);

    [LoggerMessage(101, LogLevel.Debug, "Channel {ChannelName} closed: {Reason}.", EventName = "Closed")]
    public static partial void Closed(ILogger logger, string channelName, string reason);

    [LoggerMessage(102, LogLevel.Warning, "Channel {ChannelName} closed after a protocol error.", EventName = "ProtocolError")]
    public static partial void ProtocolError(ILogger logger, string channelName, Exception exception);

    [LoggerMessage(103, LogLevel.Warning, "Channel {ChannelName} lost its connection.", EventName = "ConnectionFailed")]
    public static partial void ConnectionFailed(ILogger logger, string channelName, Exception exception);

    [LoggerMessage(104, LogLevel.Debug, "Channel {ChannelName} dropped a response for thread {ThreadId} that nobody awaits.", EventName = "ResponseDropped")]
    public static partial void ResponseDropped(ILogger logger, string channelName, ulong threadId);

    [LoggerMessage(105, LogLevel.Warning, "Channel {ChannelName}: handler for '{Cmd}' failed.", EventName = "HandlerFailed")]
    public static partial void HandlerFailed(ILogger logger, string channelName, string cmd, Exception exception);

    [LoggerMessage(106, LogLevel.Warning, "Channel {ChannelName}: no handler for one-way message '{Cmd}' ({Length} bytes); dropped.", EventName = "OneWayUnhandled")]
    public static partial void OneWayUnhandled(ILogger logger, string channelName, string cmd, int length);

    [LoggerMessage(107, LogLevel.Warning, "Channel {ChannelName}: could not send the answer to '{Cmd}' (thread {ThreadId}).", EventName = "AnswerFailed")]
    public static partial void AnswerFailed(ILogger logger, string channelName, string cmd, ulong threadId, Exception exception);

    [LoggerMessage(108, LogLevel.Warning, "Channel {ChannelName}: thread id {ThreadId} of request '{Cmd}' is already in flight; answered INVALID_REQUEST.", EventName = "DuplicateThreadId")]
    public static partial void DuplicateThreadId(ILogger logger, string channelName, ulong threadId, string cmd);

    [LoggerMessage(109, LogLevel.Debug, "Channel {ChannelName}: could not send a cancel for thread {ThreadId}.", EventName = "CancelFailed")]
    public static partial void CancelFailed(ILogger logger, string channelName, ulong threadId, Exception exception);

    [LoggerMessage(110, LogLevel.Information, "Channel {ChannelName}: {Work} held the read loop for over {Milliseconds} ms; reading goes on on another thread.", EventName = "ReadLoopStalled")]
    public static partial void ReadLoopStalled(ILogger logger, string channelName, string work, double milliseconds);

    [LoggerMessage(111, LogLevel.Information, "Channel {ChannelName}: the handler of '{Cmd}' was slow three times in a row; it runs on the thread pool from now on.", EventName = "HandlerMovedToThreadPool")]
    public static partial void HandlerMovedToThreadPool(ILogger logger, string channelName, string cmd);

    [LoggerMessage(112, LogLevel.Information, "Channel {ChannelName}: code after awaited calls was slow three times in a row; answers are completed on the thread pool from now on.", EventName = "CompletionsMovedToThreadPool")]
    public static partial void CompletionsMovedToThreadPool(ILogger logger, string channelName);

    [LoggerMessage(113, LogLevel.Warning, "Channel {ChannelName}: request '{Cmd}' (thread {ThreadId}, {Bytes} bytes) has waited {Seconds} s for large requests' handlers to end ({HeldBytes} bytes held, MaxRunningRequestBytes {MaxBytes}). If they wait for calls back to this side, raise the limit.", EventName = "LargeRequestWaits")]
    public static partial void LargeRequestWaits(ILogger logger, string channelName, string cmd, ulong threadId, int bytes, double seconds, long heldBytes, long maxBytes);
}
