using PluginIpc;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Ties PluginIpc's <see cref="IPluginManager"/> to the lifetime of a Microsoft.Extensions.Hosting application.</summary>
public static class PluginIpcHostingServiceCollectionExtensions
{
    /// <summary>
    /// Registers the plugin manager (<c>AddPluginIpc</c>) and a hosted service that starts the <see cref="StartMode.AtStartup"/> plugins
    /// when the host starts and stops every plugin, in parallel and within the host's shutdown timeout, when the application stops.
    /// Calling it more than once is harmless.
    /// </summary>
    /// <remarks>
    /// An AtStartup plugin that cannot start is logged at error level and reported <see cref="PluginState.Failed"/> by
    /// <see cref="IPluginManager.GetState"/>; by default the host starts anyway, and the next <see cref="IPluginManager.GetAsync"/>
    /// tries again. With <see cref="PluginIpcOptions.ThrowOnStartupFailure"/> set, the host's start fails instead, with a
    /// <see cref="PluginStartException"/> that names each such plugin and its cause.
    /// </remarks>
    /// <param name="services">The service collection.</param>
    /// <param name="configure">Changes the manager's settings; <see langword="null"/> for the defaults.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddPluginIpcHostedService(this IServiceCollection services, Action<PluginIpcOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        services.AddPluginIpc(configure);
        services.AddHostedService<PluginIpcHostedService>();
        return services;
    }
}
