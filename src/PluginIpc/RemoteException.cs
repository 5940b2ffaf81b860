using System.Text.Json;

namespace PluginIpc;

/// <summary>A request that failed on the other side: the caller receives it from a <c>cmd.error</c> response, and a handler throws it to answer with a code of its choosing.</summary>
public class RemoteException : PluginIpcException
{
    /// <summary>Initializes a new instance with the code <see cref="ErrorCodes.RemoteError"/>.</summary>
    public RemoteException()
        : this(ErrorCodes.RemoteError, "The remote side reported an error.")
    {
    }

    /// <summary>Initializes a new instance with the code <see cref="ErrorCodes.RemoteError"/>.</summary>
    /// <param name="message">What went wrong.</param>
    public RemoteException(string message)
        : this(ErrorCodes.RemoteError, message)
    {
    }

    /// <summary>Initializes a new instance with the code <see cref="ErrorCodes.RemoteError"/> and a cause.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public RemoteException(string message, Exception? innerException)
        : base(message, innerException)
    {
        Code = ErrorCodes.RemoteError;
    }

    /// <summary>Initializes a new instance with a code, a message and optional details.</summary>
    /// <param name="code">A stable, machine-readable error code, such as <c>NOT_FOUND</c>.</param>
    /// <param name="message">What went wrong, for people.</param>
    /// <param name="details">Any JSON value that helps the caller; sent as is.</param>
    public RemoteException(string code, string message, JsonElement? details = null)
        : base(message)
    {
        ArgumentException.ThrowIfNullOrEmpty(code);
        Code = code;
        Details = details?.Clone();
    }

    /// <summary>Gets the error code, such as <see cref="ErrorCodes.UnknownCommand"/>.</summary>
    public string Code { get; }

    /// <summary>Gets the optional JSON details that came with the error.</summary>
    public JsonElement? Details { get; }

    /// <summary>Gets the command of the request that failed, when known.</summary>
    public string? Cmd { get; init; }
}
