namespace PluginIpc;

/// <summary>
/// A configuration change that would make its file larger than <see cref="PluginConfigOptions.MaxFileBytes"/>; nothing was
/// changed. Thrown by <see cref="IPluginConfigStore"/> and, in a plugin, by <see cref="IPluginConfig"/> (wire code <see cref="ErrorCodes.ConfigTooLarge"/>).
/// </summary>
public sealed class PluginConfigTooLargeException : InvalidOperationException
{
    /// <summary>Initializes a new instance of the <see cref="PluginConfigTooLargeException"/> class.</summary>
    public PluginConfigTooLargeException()
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PluginConfigTooLargeException"/> class with a message.</summary>
    /// <param name="message">What would have grown too large.</param>
    public PluginConfigTooLargeException(string message)
        : base(message)
    {
    }

    /// <summary>Initializes a new instance of the <see cref="PluginConfigTooLargeException"/> class with a message and its cause.</summary>
    /// <param name="message">What would have grown too large.</param>
    /// <param name="innerException">The cause: in a plugin, the host's answer.</param>
    public PluginConfigTooLargeException(string message, Exception? innerException)
        : base(message, innerException)
    {
    }
}
