namespace PluginIpc;

/// <summary>The object form of a manifest's <c>restartPolicy</c>; missing fields take <see cref="RestartPolicy"/>'s defaults.</summary>
internal sealed class PluginManifestRestartPolicy
{
    public int? MaxRestarts { get; set; }

    public double? WindowSeconds { get; set; }

    public double? InitialDelayMs { get; set; }

    public double? MaxDelayMs { get; set; }
}
