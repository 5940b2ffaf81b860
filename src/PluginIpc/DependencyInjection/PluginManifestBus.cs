namespace PluginIpc;

/// <summary>The <c>bus</c> object of a <c>plugin.json</c> manifest: the topics the plugin may publish and subscribe to (see <see cref="PluginOptions.BusPublishTopics"/>).</summary>
internal sealed class PluginManifestBus
{
    public List<string>? Publish { get; set; }

    public List<string>? Subscribe { get; set; }
}
