namespace PluginIpc;

/// <summary>Maps each <see cref="PluginTransport"/> to the connector that starts plugins over it: the one place that does.</summary>
internal static class PluginConnectors
{
    /// <summary>Returns the connector for <paramref name="transport"/>.</summary>
    /// <param name="transport">The transport the plugin's options chose.</param>
    /// <returns>A shared, stateless connector.</returns>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="transport"/> is not a defined value.</exception>
    public static IPluginConnector For(PluginTransport transport) => transport switch
    {
        PluginTransport.InheritedPipes => InheritedPipesConnector.Instance,
        PluginTransport.Stdio => StdioConnector.Instance,
        _ => throw new ArgumentOutOfRangeException(nameof(transport), transport, "Unknown transport."),
    };
}
