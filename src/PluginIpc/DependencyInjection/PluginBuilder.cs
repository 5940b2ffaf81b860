using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PluginIpc;

/// <summary>
/// Configures a plugin registered with <c>AddPlugin</c>: its start mode and setup code, and, as the
/// <see cref="OptionsBuilder{TOptions}"/> of its named <see cref="PluginOptions"/>, its options with the usual conventions
/// (<c>Configure</c>, <c>Bind</c>, <c>Validate</c>, <c>ValidateOnStart</c>, <c>PostConfigure</c>).
/// </summary>
/// <remarks>
/// <para>
/// Options are validated when the plugin starts; call <c>ValidateOnStart()</c> to validate them when a generic host starts
/// instead, so that a misconfigured plugin fails the application's start with a message naming the plugin and the setting.
/// The options methods return an <see cref="OptionsBuilder{TOptions}"/>: call <see cref="WithStartMode"/> and <see cref="Setup"/> first.
/// </para>
/// <para>Use it while the service collection is built; not thread safe.</para>
/// </remarks>
public sealed class PluginBuilder : OptionsBuilder<PluginOptions>
{
    private readonly PluginRegistration _registration;

    internal PluginBuilder(IServiceCollection services, PluginRegistration registration)
        : base(services, registration.Name) =>
        _registration = registration;

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
