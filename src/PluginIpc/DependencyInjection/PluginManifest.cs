using System.Text.Json;

namespace PluginIpc;

/// <summary>The contents of a <c>plugin.json</c> manifest, as read; <see cref="PluginManifestReader"/> checks them.</summary>
internal sealed class PluginManifest
{
    public string? Name { get; set; }

    public string? Command { get; set; }

    public List<string>? Arguments { get; set; }

    public string? Framer { get; set; }

    public string? Transport { get; set; }

    public Dictionary<string, string?>? Environment { get; set; }

    /// <summary>Gets or sets <c>"never"</c>, <c>"onFailure"</c> or a <see cref="PluginManifestRestartPolicy"/> object.</summary>
    public JsonElement? RestartPolicy { get; set; }

    public string? StartMode { get; set; }

    /// <summary>Gets or sets the plugin's bus allow-lists: <c>{"publish": [...], "subscribe": [...]}</c>.</summary>
    public PluginManifestBus? Bus { get; set; }
}
