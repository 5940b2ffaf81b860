namespace PluginIpc.AspNetCore.Calls;

/// <summary>Why a gateway call failed, independent of any dialect; each dialect maps a kind to its own error code.</summary>
internal enum GatewayErrorKind
{
    /// <summary>The plugin or command does not exist or is not exposed.</summary>
    MethodNotFound,

    /// <summary>The parameters do not fit the command (or the plugin said INVALID_REQUEST).</summary>
    InvalidParams,

    /// <summary>The gateway itself failed; details are only in its log.</summary>
    Internal,

    /// <summary>The plugin's handler failed (a RemoteException with its code).</summary>
    PluginError,

    /// <summary>The plugin did not answer within the call timeout.</summary>
    Timeout,

    /// <summary>The plugin could not be started, stopped or exited.</summary>
    PluginUnavailable,

    /// <summary>The client may not do this (a topic not allowed).</summary>
    Forbidden,

    /// <summary>The connection has too many calls (or subscriptions) already.</summary>
    TooMany,

    /// <summary>The call was cancelled (by the client, its connection closing, or the plugin giving up).</summary>
    Cancelled,

    /// <summary>The answer is larger than the gateway sends.</summary>
    ResponseTooLarge,
}
