namespace PluginIpc;

/// <summary>Bytes on the wire that can never form a valid chunk, or a chunk over a configured limit.</summary>
/// <remarks>The message names the bad field and its byte offset from the start of the chunk. A channel that meets one closes.</remarks>
public class ProtocolException : PluginIpcException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public ProtocolException()
        : base("The input is not a valid chunk.")
    {
    }

    /// <summary>Initializes a new instance with <paramref name="message"/>.</summary>
    /// <param name="message">What is wrong and where.</param>
    public ProtocolException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What is wrong and where.</param>
    /// <param name="innerException">The cause.</param>
    public ProtocolException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
