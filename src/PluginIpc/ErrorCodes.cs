namespace PluginIpc;

/// <summary>The error codes that PluginIpc itself puts in <c>cmd.error</c> responses.</summary>
/// <remarks>Handlers may raise codes of their own with <see cref="RemoteException"/>.</remarks>
public static class ErrorCodes
{
    /// <summary>No handler is registered for the request's command.</summary>
    public const string UnknownCommand = "UNKNOWN_COMMAND";

    /// <summary>The handler threw an exception that was not a <see cref="RemoteException"/>.</summary>
    public const string HandlerError = "HANDLER_ERROR";

    /// <summary>The request was cancelled before its handler finished.</summary>
    public const string Cancelled = "CANCELLED";

    /// <summary>The receiver is closing and takes no new requests.</summary>
    public const string ShuttingDown = "SHUTTING_DOWN";

    /// <summary>The answer exceeds the framer's limits.</summary>
    public const string PayloadTooLarge = "PAYLOAD_TOO_LARGE";

    /// <summary>The request is malformed, such as a thread id already in flight.</summary>
    public const string InvalidRequest = "INVALID_REQUEST";

    /// <summary>The peer answered with an error whose body is not the JSON the protocol defines.</summary>
    public const string RemoteError = "REMOTE_ERROR";

    /// <summary>A contract stream could not open: the producer already has as many open streams on this connection as it allows (64).</summary>
    public const string TooManyStreams = "TOO_MANY_STREAMS";

    /// <summary>A bus request found no subscriber of its topic, or none that took it (<see cref="IPluginBus.RequestAsync"/>).</summary>
    public const string NoSubscribers = "NO_SUBSCRIBERS";

    /// <summary>A plugin asked for a bus topic its host does not allow it (publish or subscribe).</summary>
    public const string Forbidden = "FORBIDDEN";

    /// <summary>The host gave up waiting for a reply to a plugin's bus request; the plugin's caller gets a <see cref="TimeoutException"/>.</summary>
    public const string Timeout = "TIMEOUT";

    /// <summary>A configuration change would make its file larger than the host allows (<see cref="PluginConfigOptions.MaxFileBytes"/>); nothing was changed.</summary>
    public const string ConfigTooLarge = "CONFIG_TOO_LARGE";

    /// <summary>A configuration file is not a JSON object (or is larger than the host reads); the message names the file, which is left as it is.</summary>
    public const string ConfigFileInvalid = "CONFIG_FILE_INVALID";
}
