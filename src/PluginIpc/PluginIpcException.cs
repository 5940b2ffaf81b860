namespace PluginIpc;

/// <summary>The base of the exceptions that PluginIpc raises for its own domain errors.</summary>
public class PluginIpcException : Exception
{
    /// <summary>Initializes a new instance with a default message.</summary>
    public PluginIpcException()
        : base("A PluginIpc operation failed.")
    {
    }

    /// <summary>Initializes a new instance with <paramref name="message"/>.</summary>
    /// <param name="message">What went wrong.</param>
    public PluginIpcException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance with <paramref name="message"/> and the exception that caused it.</summary>
    /// <param name="message">What went wrong.</param>
    /// <param name="innerException">The cause.</param>
    public PluginIpcException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
