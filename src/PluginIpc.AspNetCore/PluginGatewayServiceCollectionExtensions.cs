using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;
using PluginIpc;
using PluginIpc.AspNetCore;
using PluginIpc.AspNetCore.Calls;
using PluginIpc.AspNetCore.Diagnostics;
using PluginIpc.AspNetCore.JsonRpc;
using PluginIpc.AspNetCore.Dashboard;
using PluginIpc.AspNetCore.Security;
using PluginIpc.AspNetCore.Transport;
using PluginIpc.AspNetCore.WebChannel;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers the plugin gateway that <c>MapPluginGateway</c> maps.</summary>
public static class PluginGatewayServiceCollectionExtensions
{
    /// <summary>
    /// Registers the plugin gateway (and PluginIpc's plugin manager, if not yet registered), with options <paramref name="configure"/> sets.
    /// The application fails to start if a mapped gateway has no authentication: see <see cref="PluginGatewayOptions"/>.
    /// </summary>
    /// <param name="services">The services.</param>
    /// <param name="configure">Exposes plugins and sets the gateway's options.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    public static IServiceCollection AddPluginGateway(this IServiceCollection services, Action<PluginGatewayOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentNullException.ThrowIfNull(configure);
        services.AddPluginIpc();
        services.AddOptions<PluginGatewayOptions>().Configure(configure).ValidateOnStart();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<IValidateOptions<PluginGatewayOptions>, PluginGatewayOptionsValidator>());
        services.TryAddSingleton(provider => new GatewayMetrics(provider.GetService<System.Diagnostics.Metrics.IMeterFactory>()));
        services.TryAddSingleton(provider => new GatewayAccess(provider.GetRequiredService<IOptions<PluginGatewayOptions>>().Value));
        services.TryAddSingleton(provider => new ConnectionLimiter(provider.GetRequiredService<IOptions<PluginGatewayOptions>>().Value.MaxConnections));
        services.TryAddSingleton(provider => new GatewayCallLimiter(provider.GetRequiredService<IOptions<PluginGatewayOptions>>().Value.MaxConcurrentCalls));
        services.TryAddSingleton<GatewayEndpointRegistry>();
        services.TryAddSingleton<GatewayCaller>();
        services.TryAddSingleton<GatewayHttpTransport>();
        services.TryAddSingleton<JsonRpcEndpoints>();
        if (!services.Any(descriptor => descriptor.ServiceType == typeof(WebChannelLifecycle)))
        {
            // One instance, both the lifecycle the envelope uses and the hosted service that says onDestroy at stop.
            services.AddSingleton<WebChannelLifecycle>();
            services.AddSingleton<Microsoft.Extensions.Hosting.IHostedService>(provider => provider.GetRequiredService<WebChannelLifecycle>());
        }

        services.TryAddSingleton<WebChannelDispatcher>();
        services.TryAddSingleton<WebChannelEndpoints>();
        services.TryAddSingleton<DashboardSessions>(provider => new DashboardSessions(provider.GetService<TimeProvider>() ?? TimeProvider.System));
        services.TryAddSingleton<DashboardAccess>();
        services.TryAddSingleton<DashboardFigures>(provider => new DashboardFigures(provider.GetRequiredService<IPluginManager>(), provider.GetService<System.Diagnostics.Metrics.IMeterFactory>(), provider.GetService<TimeProvider>() ?? TimeProvider.System));
        services.TryAddSingleton<DashboardState>(provider => new DashboardState(
            provider.GetRequiredService<IPluginManager>(),
            provider.GetRequiredService<DashboardFigures>(),
            provider.GetService<TimeProvider>() ?? TimeProvider.System,
            Math.Min(DashboardJson.MaxLogBytes, provider.GetRequiredService<IOptions<PluginGatewayOptions>>().Value.MaxSendQueueBytes / 2)));
        services.TryAddSingleton<DashboardEndpoints>();
        services.TryAddEnumerable(ServiceDescriptor.Singleton<Microsoft.Extensions.Hosting.IHostedService, GatewayStartupCheck>());
        return services;
    }
}
