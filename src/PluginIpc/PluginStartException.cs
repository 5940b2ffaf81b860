namespace PluginIpc;

/// <summary>A plugin process could not be started, or it never completed the handshake.</summary>
/// <remarks>The message names the plugin executable and says what went wrong.</remarks>
public class PluginStartException : PluginIpcException
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public PluginStartException()
        : base("The plugin process could not be started.")
    {
    }

    /// <summary>Initializes a new instance with <paramref name="message"/>.</summary>
    /// <param name="message">What went wrong, naming the executable.</param>
    public PluginStartException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What went wrong, naming the executable.</param>
    /// <param name="innerException">The cause.</param>
    public PluginStartException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
