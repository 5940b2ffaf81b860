namespace PluginIpc;

/// <summary>What the manager knows about one plugin, registered or discovered.</summary>
/// <param name="Name">The name to get it by.</param>
/// <param name="StartMode">When it starts.</param>
/// <param name="CreateOptions">Makes fresh options for each start.</param>
/// <param name="Setups">Code to run on each new <see cref="Plugin"/> before it starts.</param>
/// <param name="ManifestPath">The manifest it came from, or <see langword="null"/> for a registered plugin.</param>
internal sealed record PluginDefinition(
    string Name,
    StartMode StartMode,
    Func<PluginOptions> CreateOptions,
    IReadOnlyList<Action<Plugin, IServiceProvider>> Setups,
    string? ManifestPath);
