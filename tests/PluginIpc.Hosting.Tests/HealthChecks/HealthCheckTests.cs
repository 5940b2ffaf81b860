using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.HealthChecks;
using PluginIpc.Tests.DependencyInjection;

namespace PluginIpc.Hosting.Tests;

[Category("Process")]
public sealed class HealthCheckTests
{
    private const int KilledBySigkill = 128 + 9; // the exit code Unix gives a process killed by SIGKILL

    [Test, CancelAfter(60_000)]
    public async Task CheckHealth_RunningAndNotYetStarted_AreHealthyWithStateAndRestartsInTheData(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = NewServices(services =>
        {
            services.AddPlugin("running", o => TracePlugin.Configure(o));
            services.AddPlugin("idle", o => TracePlugin.Configure(o));
        });
        Plugin running = await provider.GetRequiredService<IPluginManager>().GetAsync("running", cancellationToken);

        HealthReportEntry entry = await CheckAsync(provider, cancellationToken);

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Healthy), entry.Description);
        Assert.That(entry.Data["running.state"], Is.EqualTo("Running"));
        Assert.That(entry.Data["running.restartCount"], Is.EqualTo(0));
        Assert.That(entry.Data["running.processId"], Is.EqualTo(running.ProcessId));
        Assert.That(entry.Data["idle.state"], Is.EqualTo("Created"));
        Assert.That(entry.Data.ContainsKey("idle.processId"), Is.False);
        Assert.That(provider.GetRequiredService<IPluginManager>().GetState("idle"), Is.EqualTo(PluginState.Created), "the check starts nothing");
    }

    [Test, CancelAfter(60_000)]
    public async Task CheckHealth_PluginThatFailedToStart_IsUnhealthyWithItsError(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = NewServices(services =>
        {
            services.AddPlugin("running", o => TracePlugin.Configure(o));
            services.AddPlugin("broken", o => o.ExecutablePath = "/nonexistent/broken-plugin");
        });
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();
        await manager.GetAsync("running", cancellationToken);
        Assert.ThrowsAsync<PluginStartException>(() => manager.GetAsync("broken", cancellationToken));

        HealthReportEntry entry = await CheckAsync(provider, cancellationToken);

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Unhealthy));
        Assert.That(entry.Data["broken.state"], Is.EqualTo("Failed"));
        Assert.That((string)entry.Data["broken.lastError"], Does.Contain("/nonexistent/broken-plugin"));
        Assert.That(entry.Description, Does.Contain("1 of 2 plugins are healthy").And.Contain("'broken' is Failed"));
    }

    [Test, CancelAfter(60_000)]
    public async Task CheckHealth_FailureStatusGiven_ReportsAFailedPluginWithIt(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = NewServices(
            services => services.AddPlugin("broken", o => o.ExecutablePath = "/nonexistent/broken-plugin"),
            failureStatus: HealthStatus.Degraded);
        Assert.ThrowsAsync<PluginStartException>(() => provider.GetRequiredService<IPluginManager>().GetAsync("broken", cancellationToken));

        HealthReportEntry entry = await CheckAsync(provider, cancellationToken);

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Degraded));
    }

    [Test, CancelAfter(60_000)]
    public async Task CheckHealth_PluginRestartingAfterACrash_IsDegradedWithItsLastExit(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = NewServices(services => services.AddPlugin("crashy", o =>
        {
            TracePlugin.Configure(o);
            o.RestartPolicy = new RestartPolicy { MaxRestarts = 1, InitialDelay = TimeSpan.FromMinutes(5), MaxDelay = TimeSpan.FromMinutes(5) };
        }));
        Plugin plugin = await provider.GetRequiredService<IPluginManager>().GetAsync("crashy", cancellationToken);
        var restarting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.StateChanged += (_, e) =>
        {
            if (e.State == PluginState.Restarting)
            {
                restarting.TrySetResult();
            }
        };
        int processId = plugin.ProcessId!.Value;

        using (var process = Process.GetProcessById(processId))
        {
            process.Kill();
        }

        await restarting.Task.WaitAsync(cancellationToken);
        HealthReportEntry entry = await CheckAsync(provider, cancellationToken);

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Degraded));
        Assert.That(entry.Data["crashy.state"], Is.EqualTo("Restarting"));
        Assert.That((string)entry.Data["crashy.lastExit"], Does.StartWith($"exited unexpectedly with code {KilledBySigkill}").And.Contain($"(process {processId})"));
        Assert.That(entry.Data.ContainsKey("crashy.lastError"), Is.True);
    }

    [Test, CancelAfter(60_000)]
    public async Task CheckHealth_PluginStoppedOnPurpose_IsHealthyWithItsExpectedExit(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = NewServices(services => services.AddPlugin("stopped", o => TracePlugin.Configure(o)));
        Plugin plugin = await provider.GetRequiredService<IPluginManager>().GetAsync("stopped", cancellationToken);
        await plugin.StopAsync(cancellationToken);

        HealthReportEntry entry = await CheckAsync(provider, cancellationToken);

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Healthy), entry.Description);
        Assert.That(entry.Data["stopped.state"], Is.EqualTo("Stopped"));
        Assert.That((string)entry.Data["stopped.lastExit"], Does.StartWith("stopped with code 0"));
    }

    [Test]
    public async Task CheckHealth_NoPlugins_IsHealthy()
    {
        await using ServiceProvider provider = NewServices(_ => { });

        HealthReportEntry entry = await CheckAsync(provider, CancellationToken.None);

        Assert.That(entry.Status, Is.EqualTo(HealthStatus.Healthy));
        Assert.That(entry.Description, Is.EqualTo("No plugins are registered or discovered."));
    }

    private static ServiceProvider NewServices(Action<IServiceCollection> plugins, HealthStatus? failureStatus = null)
    {
        var services = new ServiceCollection();
        services.AddLogging(); // the health check service logs
        services.AddPluginIpc(o => o.PluginFolders.Clear());
        services.AddHealthChecks().AddPluginIpc(failureStatus: failureStatus);
        plugins(services);
        return services.BuildServiceProvider();
    }

    private static async Task<HealthReportEntry> CheckAsync(IServiceProvider provider, CancellationToken cancellationToken)
    {
        HealthReport report = await provider.GetRequiredService<HealthCheckService>().CheckHealthAsync(cancellationToken);
        return report.Entries["pluginipc"];
    }
}
