using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PluginIpc;
using StackExchange.Redis;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Connects a host's <see cref="IPluginBus"/> to the buses of other hosts through Redis.</summary>
public static class PluginIpcRedisServiceCollectionExtensions
{
    /// <summary>
    /// Makes the host's <see cref="IPluginBus"/> (registered by <c>AddPluginIpc</c>) a system bus across hosts: what any host
    /// publishes reaches the subscribers and plugins of every host that uses the same Redis and
    /// <see cref="RedisBusOptions.Channel"/>, and never comes back to the host that published it.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="redisConfiguration">A StackExchange.Redis configuration string, such as <c>localhost:6379</c> or <c>redis1:6379,password=...</c>.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="redisConfiguration"/> is empty or not a valid configuration string.</exception>
    /// <exception cref="InvalidOperationException">A relay is registered already (this was called before).</exception>
    public static IServiceCollection AddPluginIpcRedisBus(this IServiceCollection services, string redisConfiguration) =>
        services.AddPluginIpcRedisBus(redisConfiguration, static _ => { });

    /// <summary>
    /// Makes the host's <see cref="IPluginBus"/> a system bus across hosts through Redis (see
    /// <see cref="AddPluginIpcRedisBus(IServiceCollection, string)"/>), with settings.
    /// </summary>
    /// <param name="services">The service collection.</param>
    /// <param name="redisConfiguration">A StackExchange.Redis configuration string, such as <c>localhost:6379</c>.</param>
    /// <param name="configure">Changes the settings: the channel, and what publishing does while Redis is unreachable.</param>
    /// <returns><paramref name="services"/>, for chaining.</returns>
    /// <exception cref="ArgumentException"><paramref name="redisConfiguration"/> is empty or not a valid configuration string.</exception>
    /// <exception cref="InvalidOperationException">A relay is registered already (this was called before).</exception>
    /// <remarks>
    /// The relay connects when the bus is first resolved, and keeps reconnecting while Redis is unreachable; its subscription
    /// comes back after each reconnect. Its settings are validated then: an invalid one fails that resolution.
    /// </remarks>
    public static IServiceCollection AddPluginIpcRedisBus(this IServiceCollection services, string redisConfiguration, Action<RedisBusOptions> configure)
    {
        ArgumentNullException.ThrowIfNull(services);
        ArgumentException.ThrowIfNullOrWhiteSpace(redisConfiguration);
        ArgumentNullException.ThrowIfNull(configure);
        ConfigurationOptions configuration;
        try
        {
            configuration = ConfigurationOptions.Parse(redisConfiguration);
        }
        catch (ArgumentException ex)
        {
            throw new ArgumentException($"Not a StackExchange.Redis configuration string: {ex.Message}", nameof(redisConfiguration), ex);
        }

        // Reconnect forever rather than fail the first connection, and fail commands at once while disconnected: the relay's
        // own buffer and policy decide what an outage does, not a backlog that would hide it.
        configuration.AbortOnConnectFail = false;
        configuration.BacklogPolicy = BacklogPolicy.FailFast;

        if (services.Any(descriptor => descriptor.ServiceType == typeof(PluginBusRelay)))
        {
            throw new InvalidOperationException("A PluginBusRelay is registered already; call AddPluginIpcRedisBus once.");
        }

        services.AddOptions<RedisBusOptions>().Configure(configure);
        services.AddSingleton<PluginBusRelay>(provider => new RedisBusRelay(
            configuration.Clone(),
            provider.GetRequiredService<IOptions<RedisBusOptions>>().Value.Snapshot(),
            provider.GetService<ILoggerFactory>(),
            provider.GetService<IMeterFactory>()));
        return services;
    }
}
