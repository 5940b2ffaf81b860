using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>The plugins a manager knows: the registered ones, then the ones discovered in the plugin folders.</summary>
/// <remarks>Built once; immutable afterwards.</remarks>
internal sealed class PluginCatalog
{
    private PluginCatalog(Dictionary<string, PluginDefinition> definitions, List<PluginDiscoveryError> errors)
    {
        Definitions = definitions;
        Errors = errors;
    }

    public IReadOnlyDictionary<string, PluginDefinition> Definitions { get; }

    public IReadOnlyList<PluginDiscoveryError> Errors { get; }

    /// <summary>
    /// Adds the registered plugins, then each <c>plugin.json</c> in the subfolders of <see cref="PluginIpcOptions.PluginFolders"/> (in order, subfolders
    /// sorted by name). A manifest whose name is taken, by a registered plugin or an earlier manifest, is skipped and reported.
    /// </summary>
    /// <param name="registrations">The plugins registered with <c>AddPlugin</c>.</param>
    /// <param name="options">The manager's settings.</param>
    /// <param name="registeredOptions">Creates the options of the registered plugin with the given name.</param>
    /// <param name="logger">Where discovery logs.</param>
    public static PluginCatalog Build(IEnumerable<PluginRegistration> registrations, PluginIpcOptions options, Func<string, PluginOptions> registeredOptions, ILogger logger)
    {
        var definitions = new Dictionary<string, PluginDefinition>(StringComparer.Ordinal);
        var errors = new List<PluginDiscoveryError>();
        foreach (PluginRegistration registration in registrations)
        {
            string name = registration.Name;
            definitions[name] = new PluginDefinition(name, registration.StartMode ?? options.DefaultStartMode, () => registeredOptions(name), [.. registration.Setups], null);
        }

        var searched = new HashSet<string>(StringComparer.Ordinal);
        foreach (string configured in options.PluginFolders)
        {
            string folder = Path.TrimEndingDirectorySeparator(PluginPaths.ResolveFolder(configured));
            if (!searched.Add(folder))
            {
                continue; // the same folder listed twice (say, the default and "plugins" from configuration) is searched once
            }

            if (!Directory.Exists(folder))
            {
                PluginManagerLog.FolderMissing(logger, folder);
                continue;
            }

            string[] pluginFolders;
            try
            {
                pluginFolders = Directory.GetDirectories(folder);
            }
            catch (Exception ex) when (ex is IOException or UnauthorizedAccessException)
            {
                Report(new PluginDiscoveryError(folder, null, $"the plugin folder cannot be listed: {ex.Message}"));
                continue;
            }

            Array.Sort(pluginFolders, StringComparer.Ordinal);
            foreach (string pluginFolder in pluginFolders)
            {
                string manifestPath = Path.Combine(pluginFolder, PluginManifestReader.FileName);
                if (!File.Exists(manifestPath))
                {
                    continue;
                }

                PluginDefinition? definition = PluginManifestReader.TryRead(manifestPath, options.DefaultStartMode, out PluginDiscoveryError? error);
                if (definition is null)
                {
                    Report(error!);
                }
                else if (definitions.TryGetValue(definition.Name, out PluginDefinition? taken))
                {
                    Report(new PluginDiscoveryError(
                        definition.ManifestPath!,
                        "name",
                        taken.ManifestPath is null
                            ? $"a plugin named '{definition.Name}' is registered in code; the registered one is used and this manifest is ignored."
                            : $"the plugin name '{definition.Name}' is taken by {taken.ManifestPath}; this manifest is ignored."));
                }
                else
                {
                    definitions.Add(definition.Name, definition);
                    PluginManagerLog.Discovered(logger, definition.Name, definition.ManifestPath!);
                }
            }
        }

        return new PluginCatalog(definitions, errors);

        void Report(PluginDiscoveryError error)
        {
            errors.Add(error);
            PluginManagerLog.ManifestInvalid(logger, error.ManifestPath, error.Field ?? "(file)", error.Problem);
        }
    }
}
