namespace PluginIpc;

/// <summary>A plugin manifest that could not be used; the other plugins are not affected.</summary>
public sealed class PluginDiscoveryError
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="manifestPath">The full path of the manifest.</param>
    /// <param name="field">The manifest field at fault, or <see langword="null"/> when the file as a whole is (unreadable or not JSON).</param>
    /// <param name="problem">What is wrong.</param>
    public PluginDiscoveryError(string manifestPath, string? field, string problem)
    {
        ArgumentNullException.ThrowIfNull(manifestPath);
        ArgumentNullException.ThrowIfNull(problem);
        ManifestPath = manifestPath;
        Field = field;
        Problem = problem;
    }

    /// <summary>Gets the full path of the manifest.</summary>
    public string ManifestPath { get; }

    /// <summary>Gets the manifest field at fault (such as <c>command</c> or <c>restartPolicy.maxRestarts</c>), or <see langword="null"/> when the file as a whole is.</summary>
    public string? Field { get; }

    /// <summary>Gets what is wrong.</summary>
    public string Problem { get; }

    /// <summary>Gets the whole message: the file, the field and the problem.</summary>
    public string Message => Field is null ? $"{ManifestPath}: {Problem}" : $"{ManifestPath}: field '{Field}': {Problem}";

    /// <inheritdoc/>
    public override string ToString() => Message;
}
