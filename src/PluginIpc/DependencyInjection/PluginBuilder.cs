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
/// Options are validated when the plugin starts; call <see cref="ValidateOnStart"/> to validate them when a generic host starts
/// instead, so that a misconfigured plugin fails the application's start with a message naming the plugin and the setting.
/// <see cref="Configure"/>, <see cref="PostConfigure"/>, <see cref="Validate(Func{PluginOptions, bool}, string)"/> and
/// <see cref="ValidateOnStart"/> return this builder, so <see cref="Setup"/> can follow them; the other options methods
/// (<c>Bind</c>, <c>Configure&lt;TDep&gt;</c>, ...) return an <see cref="OptionsBuilder{TOptions}"/>, so chain them last.
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

    /// <summary>Adds code that sets the plugin's options; it runs each time the options are created, after the earlier ones.</summary>
    /// <param name="configureOptions">Sets the options.</param>
    /// <returns>This builder.</returns>
    public new PluginBuilder Configure(Action<PluginOptions> configureOptions)
    {
        base.Configure(configureOptions);
        return this;
    }

    /// <summary>Adds code that sets the plugin's options after every <see cref="Configure"/>.</summary>
    /// <param name="configureOptions">Sets the options.</param>
    /// <returns>This builder.</returns>
    public new PluginBuilder PostConfigure(Action<PluginOptions> configureOptions)
    {
        base.PostConfigure(configureOptions);
        return this;
    }

    /// <summary>Adds a check of the plugin's options; when it returns <see langword="false"/>, the plugin does not start and <paramref name="failureMessage"/> says why.</summary>
    /// <param name="validation">Returns whether the options are valid.</param>
    /// <param name="failureMessage">The failure's message; name the plugin and the setting.</param>
    /// <returns>This builder.</returns>
    public new PluginBuilder Validate(Func<PluginOptions, bool> validation, string failureMessage)
    {
        base.Validate(validation, failureMessage);
        return this;
    }

    /// <summary>Checks the plugin's options when a generic host starts, so that invalid ones fail the application's start rather than the plugin's.</summary>
    /// <returns>This builder.</returns>
    public PluginBuilder ValidateOnStart()
    {
        OptionsBuilderExtensions.ValidateOnStart(this);
        return this;
    }
}
