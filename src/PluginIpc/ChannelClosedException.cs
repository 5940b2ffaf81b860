namespace PluginIpc;

/// <summary>The channel closed, so the call could not be made or its answer will never come.</summary>
/// <remarks><see cref="Exception.InnerException"/> holds the cause when the connection failed rather than closed.</remarks>
public class ChannelClosedException : PluginIpcException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public ChannelClosedException()
        : base("The channel is closed.")
    {
    }

    /// <summary>Initializes a new instance with <paramref name="message"/>.</summary>
    /// <param name="message">Why the channel closed.</param>
    public ChannelClosedException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with <paramref name="message"/> and the cause.</summary>
    /// <param name="message">Why the channel closed.</param>
    /// <param name="innerException">The cause.</param>
    public ChannelClosedException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
