using Microsoft.Extensions.DependencyInjection;

namespace PluginIpc;

/// <summary>Configures a plugin registered with <c>AddPlugin</c> beyond its <see cref="PluginOptions"/>.</summary>
/// <remarks>Use it while the service collection is built; not thread safe.</remarks>
public sealed class PluginBuilder
{
    private readonly PluginRegistration _registration;

    internal PluginBuilder(IServiceCollection services, PluginRegistration registration)
    {
        Services = services;
        _registration = registration;
    }

    /// <summary>Gets the plugin's name.</summary>
    public string Name => _registration.Name;

    /// <summary>Gets the service collection the plugin is registered in.</summary>
    public IServiceCollection Services { get; }

    /// <summary>Sets when the plugin starts, instead of <see cref="PluginIpcOptions.DefaultStartMode"/>.</summary>
    /// <param name="startMode">The start mode.</param>
    /// <returns>This builder.</returns>
    public PluginBuilder WithStartMode(StartMode startMode)
    {
        _registration.StartMode = startMode;
        return this;
    }

    /// <summary>
    /// Adds code that runs on each new <see cref="Plugin"/> before it starts: register the host's handlers of the plugin's commands
    /// (<see cref="Plugin.Handle"/>) and subscribe to its events. It runs again if the plugin is started anew after a failure.
    /// </summary>
    /// <param name="setup">Receives the plugin and the application's service provider.</param>
    /// <returns>This builder.</returns>
    public PluginBuilder Setup(Action<Plugin, IServiceProvider> setup)
    {
        ArgumentNullException.ThrowIfNull(setup);
        _registration.Setups.Add(setup);
        return this;
    }
}
