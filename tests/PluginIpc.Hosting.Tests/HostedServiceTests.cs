using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluginIpc.Tests;
using PluginIpc.Tests.DependencyInjection;
using PluginIpc.Tests.Host;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Hosting.Tests;

/// <summary>The hosted service of <c>AddPluginIpcHostedService</c> starts the AtStartup plugins with the host and stops every plugin with it.</summary>
public sealed class HostedServiceTests
{
    private const string ManagerCategory = "PluginIpc.PluginManager";

    [Test, CancelAfter(60_000), Category("Process")]
    public async Task HostedService_StartAndStop_StartsAtStartupPluginsAndStopsAll(CancellationToken cancellationToken)
    {
        int lazyCreated = 0;
        int eagerCreated = 0;
        var services = new ServiceCollection();
        services.AddPluginIpcHostedService(o => o.PluginFolders.Clear());
        services.AddPluginIpcHostedService();
        services.AddPlugin("eager", o => TracePlugin.Configure(o)).WithStartMode(StartMode.AtStartup).Setup((_, _) => Interlocked.Increment(ref eagerCreated));
        services.AddPlugin("lazy", o => TracePlugin.Configure(o)).Setup((_, _) => Interlocked.Increment(ref lazyCreated));
        await using ServiceProvider provider = services.BuildServiceProvider();
        IHostedService hosted = provider.GetServices<IHostedService>().Single();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        Assert.That(manager.GetState("eager"), Is.EqualTo(PluginState.Created));
        await hosted.StartAsync(cancellationToken);
        Assert.That(eagerCreated, Is.EqualTo(1), "the AtStartup plugin started with the host");
        Assert.That(manager.GetState("eager"), Is.EqualTo(PluginState.Running));
        Assert.That(manager.GetState("lazy"), Is.EqualTo(PluginState.Created));
        Plugin eager = await manager.GetAsync("eager", cancellationToken);
        int pid = eager.ProcessId!.Value;
        await hosted.StopAsync(cancellationToken);

        Assert.That(eager.State, Is.EqualTo(PluginState.Stopped));
        Assert.That(manager.GetState("eager"), Is.EqualTo(PluginState.Stopped));
        Assert.That(ProcFs.IsAlive(pid), Is.False);
        Assert.That(lazyCreated, Is.Zero, "an OnFirstUse plugin does not start with the host");
    }

    [Test, CancelAfter(30_000)]
    public async Task GenericHost_AtStartupPluginMissing_StartsLogsTheErrorAndReportsFailed(CancellationToken cancellationToken)
    {
        string missing = MissingPath();
        var logs = new CapturingLoggerFactory();
        using IHost host = BuildHost(logs, missing, throwOnStartupFailure: false);
        try
        {
            await host.StartAsync(cancellationToken);

            CapturingLoggerFactory.LoggedEntry error = SingleError(logs);
            Assert.That(error.Message, Does.Contain("missing").And.Contain(missing));
            Assert.That(host.Services.GetRequiredService<IPluginManager>().GetState("missing"), Is.EqualTo(PluginState.Failed));
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task GenericHost_AtStartupPluginMissingAndThrowOnStartupFailure_StartFailsNamingThePluginAndPath(CancellationToken cancellationToken)
    {
        string missing = MissingPath();
        var logs = new CapturingLoggerFactory();
        using IHost host = BuildHost(logs, missing, throwOnStartupFailure: true);
        try
        {
            var ex = await Failure.ThrowsAsync<PluginStartException>(() => host.StartAsync(cancellationToken));

            Assert.That(ex!.Message, Does.Contain("'missing'").And.Contain(missing));
            Assert.That(SingleError(logs).Message, Does.Contain(missing));
            Assert.That(host.Services.GetRequiredService<IPluginManager>().GetState("missing"), Is.EqualTo(PluginState.Failed));
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    private static IHost BuildHost(CapturingLoggerFactory logs, string missing, bool throwOnStartupFailure)
    {
        var builder = new HostApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Services.AddSingleton<ILoggerFactory>(logs);
        builder.Services.AddPluginIpcHostedService(o =>
        {
            o.PluginFolders.Clear();
            o.ThrowOnStartupFailure = throwOnStartupFailure;
        });
        builder.Services.AddPlugin("missing", o => o.ExecutablePath = missing).WithStartMode(StartMode.AtStartup);
        return builder.Build();
    }

    private static CapturingLoggerFactory.LoggedEntry SingleError(CapturingLoggerFactory logs)
    {
        CapturingLoggerFactory.LoggedEntry[] errors = [.. logs.Entries.Where(e => e.Category == ManagerCategory && e.Level == LogLevel.Error)];
        Assert.That(errors, Has.Length.EqualTo(1), "the manager logs the failed start once, at error level");
        return errors[0];
    }

    private static string MissingPath() => Path.Combine(Path.GetTempPath(), "pluginipc-" + Guid.NewGuid().ToString("N"), "plugin");
}
