using Microsoft.Extensions.Diagnostics.HealthChecks;
using PluginIpc;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Adds a health check of PluginIpc's plugins to an application's health checks.</summary>
public static class PluginIpcHealthChecksBuilderExtensions
{
    /// <summary>
    /// Adds a health check that reports each plugin of the <see cref="IPluginManager"/> (register it with <c>AddPluginIpc</c>):
    /// <see cref="PluginState.Running"/> is healthy, and so are <see cref="PluginState.Created"/> (not started yet),
    /// <see cref="PluginState.Stopping"/> and <see cref="PluginState.Stopped"/> (stopped on purpose: the next <c>GetAsync</c>
    /// starts it again); <see cref="PluginState.Starting"/>, <see cref="PluginState.Restarting"/> and
    /// <see cref="PluginState.Disconnected"/> are degraded; <see cref="PluginState.Failed"/> is
    /// <paramref name="failureStatus"/>. The result is the worst of them; its data holds each plugin's state, restart count,
    /// process id, last exit and last error under keys <c>{plugin}.state</c>, <c>{plugin}.restartCount</c>,
    /// <c>{plugin}.processId</c>, <c>{plugin}.lastExit</c> and <c>{plugin}.lastError</c>. The check never starts a plugin.
    /// </summary>
    /// <param name="builder">The health checks builder, from <c>services.AddHealthChecks()</c>.</param>
    /// <param name="name">The check's name.</param>
    /// <param name="failureStatus">The status of a failed plugin; <see langword="null"/> for <see cref="HealthStatus.Unhealthy"/>.</param>
    /// <param name="tags">Tags to filter checks by, e.g. <c>ready</c>.</param>
    /// <returns><paramref name="builder"/>, for chaining.</returns>
    public static IHealthChecksBuilder AddPluginIpc(this IHealthChecksBuilder builder, string name = "pluginipc", HealthStatus? failureStatus = null, IEnumerable<string>? tags = null)
    {
        ArgumentNullException.ThrowIfNull(builder);
        ArgumentException.ThrowIfNullOrWhiteSpace(name);
        return builder.Add(new HealthCheckRegistration(
            name,
            services => new PluginIpcHealthCheck(services.GetRequiredService<IPluginManager>()),
            failureStatus,
            tags));
    }
}
