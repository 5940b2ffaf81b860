using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PluginIpc;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers PluginIpc's <see cref="IPluginManager"/> and named plugins in a service collection.</summary>
public static class PluginIpcServiceCollectionExtensions
{
    /// <summary>
    /// Registers the <see cref="IPluginManager"/> singleton (with the host's <see cref="IPluginBus"/> and <see cref="IPluginConfigStore"/>), which starts plugins registered with
    /// <see cref="AddPlugin(IServiceCollection, string, Action{PluginOptions})"/> or discovered in
    /// <see cref="PluginIpcOptions.PluginFolders"/>, and stops them when the service provider is disposed.
    /// Calling it more than once is harmless; each <paramref name="configure"/> is applied.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes the manager's settings; <see langword="null"/> for the defaults.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <remarks>Logs go to the registered <c>ILoggerFactory</c>, if any: the manager under <c>PluginIpc.PluginManager</c>, each plugin under <c>PluginIpc.Plugins.{name}</c>.</remarks>
    public static IServiceCollection AddPluginIpc(this IServiceCollection services, Action<PluginIpcOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        OptionsBuilder<PluginIpcOptions> options = services.AddOptions<PluginIpcOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.AddOptions<PluginOptions>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PluginOptions>, PluginOptionsValidator>());
        services.TryAddSingleton<IPluginManager, PluginManager>(); // TryAdd: calling AddPluginIpc twice is harmless
        services.TryAddSingleton<HostBus>();
        services.TryAddSingleton<IPluginBus>(provider => provider.GetRequiredService<HostBus>());
        services.TryAddSingleton<PluginConfigStore>();
        services.TryAddSingleton<IPluginConfigStore>(provider => provider.GetRequiredService<PluginConfigStore>());
        return services;
    }

    /// <summary>
    /// Registers a plugin named <paramref name="name"/> (and <see cref="AddPluginIpc"/>) whose options <paramref name="configure"/> sets;
    /// see <see cref="AddPlugin(IServiceCollection, string)"/>.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The name to get it by (ordinal). A discovered plugin with the same name is ignored.</param>
    /// <param name="configure">Sets the plugin's options; <see cref="PluginOptions.ExecutablePath"/> at least.</param>
    /// <returns>A builder for the start mode, setup code and further options.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static PluginBuilder AddPlugin(this IServiceCollection services, string name, Action<PluginOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(configure);
        PluginBuilder builder = services.AddPlugin(name);
        builder.Configure(configure);
        return builder;
    }

    /// <summary>
    /// Registers a plugin named <paramref name="name"/> (and <see cref="AddPluginIpc"/>). Its options are the named options
    /// <paramref name="name"/>, set through the returned builder (<c>Configure</c>, <c>Bind</c>); they are validated when it starts
    /// (or when the application starts, after <c>ValidateOnStart()</c>), and <see cref="PluginOptions.Name"/> defaults to
    /// <paramref name="name"/>, <see cref="PluginOptions.LoggerFactory"/> to the registered <c>ILoggerFactory</c> and
    /// <see cref="PluginOptions.MeterFactory"/> to the registered <c>IMeterFactory</c>, and <see cref="PluginOptions.TimeProvider"/>
    /// to the registered <see cref="System.TimeProvider"/> (register a fake one in tests to drive timeouts, pings and restarts).
    /// Called again with the same name, as after <c>AddPluginIpc(configuration)</c> registered it, it returns a builder of the same
    /// plugin: options configured in either place apply in the order they were added, and setup code adds up (as with
    /// <c>AddHttpClient(name)</c>).
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="name">The name to get it by (ordinal). A discovered plugin with the same name is ignored.</param>
    /// <returns>A builder for the start mode, setup code and options.</returns>
    /// <exception cref="ArgumentException"><paramref name="name"/> is empty.</exception>
    public static PluginBuilder AddPlugin(this IServiceCollection services, string name)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        foreach (ServiceDescriptor descriptor in services)
        {
            if (descriptor.ServiceType == typeof(PluginRegistration) && descriptor.ImplementationInstance is PluginRegistration existing && existing.Name == name)
            {
                return new PluginBuilder(services, existing); // one plugin per name: its options, setups and start mode compose
            }
        }

        services.AddPluginIpc();
        var registration = new PluginRegistration(name);
        services.AddSingleton(registration);
        return new PluginBuilder(services, registration);
    }
}
