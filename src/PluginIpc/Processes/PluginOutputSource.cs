namespace PluginIpc;

/// <summary>The standard stream of a plugin process that a line of output came from.</summary>
internal enum PluginOutputSource
{
    /// <summary>stderr.</summary>
    StandardError = 0,

    /// <summary>stdout, when the channel does not use it.</summary>
    StandardOutput = 1,
}
