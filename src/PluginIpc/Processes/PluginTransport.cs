namespace PluginIpc;

/// <summary>Selects the pair of streams that carries the chunks between a host and a plugin process it starts.</summary>
public enum PluginTransport
{
    /// <summary>
    /// Two anonymous pipes that the plugin inherits besides its standard streams; their descriptor numbers are passed in
    /// <c>PLUGINIPC_IN_FD</c> and <c>PLUGINIPC_OUT_FD</c>. The plugin's stdout and stderr stay free and go to the host's logs.
    /// This is the default.
    /// </summary>
    InheritedPipes = 0,

    /// <summary>
    /// The plugin's stdin and stdout. The plugin side of PluginIpc sends the plugin's own console output to stderr, so that it
    /// cannot corrupt the channel. Use it for plugins or platforms that cannot inherit extra descriptors.
    /// </summary>
    Stdio = 1,
}
