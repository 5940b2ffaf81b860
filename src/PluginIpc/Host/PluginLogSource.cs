namespace PluginIpc;

/// <summary>Where a <see cref="PluginLogEntry"/> came from.</summary>
public enum PluginLogSource
{
    /// <summary>A line the plugin wrote to stderr (or to the console, on the stdio transport).</summary>
    StandardError,

    /// <summary>A line the plugin wrote to stdout, when stdout is not the channel.</summary>
    StandardOutput,

    /// <summary>An entry the plugin sent with <c>cmd.log</c>.</summary>
    Log,
}
