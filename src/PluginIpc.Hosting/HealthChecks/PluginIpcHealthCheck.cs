using System.Globalization;
using Microsoft.Extensions.Diagnostics.HealthChecks;

namespace PluginIpc;

/// <summary>
/// Reports every plugin of the <see cref="IPluginManager"/>: running, not started yet, or stopped on purpose is healthy;
/// starting, restarting or disconnected is degraded; failed is the registration's failure status.
/// </summary>
/// <remarks>
/// Reads states only; it never starts a plugin. The data holds, per plugin, <c>{name}.state</c>, <c>{name}.restartCount</c>,
/// <c>{name}.processId</c> when one runs, <c>{name}.lastExit</c> and <c>{name}.lastError</c> when there are.
/// </remarks>
internal sealed class PluginIpcHealthCheck : IHealthCheck
{
    private readonly IPluginManager _manager;

    public PluginIpcHealthCheck(IPluginManager manager) => _manager = manager;

    /// <inheritdoc/>
    public Task<HealthCheckResult> CheckHealthAsync(HealthCheckContext context, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(context);
        HealthStatus failureStatus = context.Registration.FailureStatus;
        var data = new Dictionary<string, object>(StringComparer.Ordinal);
        var notHealthy = new List<string>();
        HealthStatus overall = HealthStatus.Healthy;
        string[] names = [.. _manager.Names.Order(StringComparer.Ordinal)];
        foreach (string name in names)
        {
            PluginStatus status = _manager.GetStatus(name);
            HealthStatus health = status.State switch
            {
                PluginState.Running or PluginState.Created or PluginState.Stopping or PluginState.Stopped => HealthStatus.Healthy,
                PluginState.Failed => failureStatus,
                _ => HealthStatus.Degraded,
            };
            data[$"{name}.state"] = status.State.ToString();
            data[$"{name}.restartCount"] = status.RestartCount;
            if (status.ProcessId is { } processId)
            {
                data[$"{name}.processId"] = processId;
            }

            if (status.LastExit is { } exit)
            {
                data[$"{name}.lastExit"] = Describe(exit);
            }

            if (status.LastError is { } error)
            {
                data[$"{name}.lastError"] = error;
            }

            if (health != HealthStatus.Healthy)
            {
                notHealthy.Add(status.LastError is { } reason ? $"'{name}' is {status.State}: {reason}" : $"'{name}' is {status.State}");
                overall = health < overall ? health : overall; // Unhealthy < Degraded < Healthy
            }
        }

        string description = names.Length == 0
            ? "No plugins are registered or discovered."
            : notHealthy.Count == 0
                ? $"{names.Length} of {names.Length} plugins are healthy."
                : $"{names.Length - notHealthy.Count} of {names.Length} plugins are healthy; {string.Join("; ", notHealthy)}.";
        return Task.FromResult(new HealthCheckResult(overall, description, exception: null, data));
    }

    private static string Describe(PluginExit exit) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{(exit.Expected ? "stopped" : "exited unexpectedly")} with code {exit.ExitCode} at {exit.Time:O} (process {exit.ProcessId}){(exit.Reason is { } reason ? ": " + reason : string.Empty)}");
}
