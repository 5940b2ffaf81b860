namespace PluginIpc;

/// <summary>A plugin registered with <c>AddPlugin</c>: its name, its start mode and its setup callbacks. Its options are named options.</summary>
/// <remarks>Mutable only while the service collection is built; read-only once the manager uses it.</remarks>
internal sealed class PluginRegistration
{
    public PluginRegistration(string name) => Name = name;

    public string Name { get; }

    public StartMode? StartMode { get; set; }

    public List<Action<Plugin, IServiceProvider>> Setups { get; } = [];
}
