using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PluginIpc.Tests.Host;

namespace PluginIpc.Tests.DependencyInjection;

/// <summary>Start failures are logged once at error level, show in <see cref="IPluginManager.GetState"/>, and can fail the manager's start.</summary>
/// <remarks>Through a generic host: PluginIpc.Hosting.Tests.</remarks>
public sealed class PluginStartFailureTests
{
    private const string ManagerCategory = "PluginIpc.PluginManager";

    [Test]
    public void GetState_NeverStarted_IsCreatedAndStartsNothing()
    {
        using ServiceProvider provider = Build(new CapturingLoggerFactory(), services => services.AddPlugin("idle", o => o.ExecutablePath = MissingPath()));
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        Assert.That(manager.GetState("idle"), Is.EqualTo(PluginState.Created));
        Assert.That(manager.GetState("idle"), Is.EqualTo(PluginState.Created), "reading the state did not start the plugin");
    }

    [Test]
    public void GetState_UnknownName_ThrowsListingKnownNames()
    {
        using ServiceProvider provider = Build(new CapturingLoggerFactory(), services =>
        {
            services.AddPlugin("b", o => o.ExecutablePath = "/bin/true");
            services.AddPlugin("a", o => o.ExecutablePath = "/bin/true");
        });
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        var ex = Assert.Throws<KeyNotFoundException>(() => manager.GetState("c"));

        Assert.That(ex!.Message, Does.Contain("'c'").And.Contain("a, b"));
    }

    [Test, CancelAfter(10_000)]
    public async Task GetAsync_MissingExecutable_LogsOneErrorWithThePathAndStateIsFailed(CancellationToken cancellationToken)
    {
        string missing = MissingPath();
        var logs = new CapturingLoggerFactory();
        await using ServiceProvider provider = Build(logs, services => services.AddPlugin("missing", o => o.ExecutablePath = missing));
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        await Failure.ThrowsAsync<PluginStartException>(() => manager.GetAsync("missing", cancellationToken));

        CapturingLoggerFactory.LoggedEntry error = SingleError(logs);
        Assert.That(error.EventId.Name, Is.EqualTo("StartFailed"));
        Assert.That(error.Message, Does.Contain("missing").And.Contain($"'{missing}' does not exist"));
        Assert.That(manager.GetState("missing"), Is.EqualTo(PluginState.Failed));
    }

    [Test, CancelAfter(10_000)]
    public async Task GetAsync_Misconfigured_LogsOneErrorNamingTheSettingAndStateIsFailed(CancellationToken cancellationToken)
    {
        var logs = new CapturingLoggerFactory();
        await using ServiceProvider provider = Build(logs, services => services.AddPlugin("nopath", o => o.Framer = "msgpack"));
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        await Failure.ThrowsAsync<PluginStartException>(() => manager.GetAsync("nopath", cancellationToken));

        Assert.That(SingleError(logs).Message, Does.Contain("nopath").And.Contain("PluginOptions.ExecutablePath is required"));
        Assert.That(manager.GetState("nopath"), Is.EqualTo(PluginState.Failed));
    }

    [Test, CancelAfter(10_000)]
    public async Task GetAsync_SetupThrows_LogsOneErrorWithItsMessageAndStateIsFailed(CancellationToken cancellationToken)
    {
        var logs = new CapturingLoggerFactory();
        await using ServiceProvider provider = Build(logs, services => services
            .AddPlugin("badsetup", o => o.ExecutablePath = "/bin/true")
            .Setup((_, _) => throw new InvalidOperationException("the setup code is broken")));
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        var ex = await Failure.ThrowsAsync<PluginStartException>(() => manager.GetAsync("badsetup", cancellationToken));

        Assert.That(ex!.InnerException, Is.TypeOf<InvalidOperationException>());
        Assert.That(SingleError(logs).Message, Does.Contain("badsetup").And.Contain("the setup code is broken"));
        Assert.That(manager.GetState("badsetup"), Is.EqualTo(PluginState.Failed));
    }

    [Test, CancelAfter(10_000)]
    public async Task StartAsync_ThrowOnStartupFailure_ThrowsOneExceptionNamingEachFailedPlugin(CancellationToken cancellationToken)
    {
        string missing = MissingPath();
        var logs = new CapturingLoggerFactory();
        await using ServiceProvider provider = Build(
            logs,
            services =>
            {
                services.AddPlugin("b-missing", o => o.ExecutablePath = missing).WithStartMode(StartMode.AtStartup);
                services.AddPlugin("a-nopath", _ => { }).WithStartMode(StartMode.AtStartup);
                services.AddPlugin("lazy", o => o.ExecutablePath = MissingPath());
            },
            o => o.ThrowOnStartupFailure = true);
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        var ex = await Failure.ThrowsAsync<PluginStartException>(() => manager.StartAsync(cancellationToken));

        Assert.That(ex!.Message, Does.Contain("2 of 2 AtStartup plugins failed to start").And.Contain("'a-nopath', 'b-missing'"));
        Assert.That(ex.Message, Does.Contain("PluginOptions.ExecutablePath is required").And.Contain($"'{missing}' does not exist"));
        Assert.That(ex.InnerException, Is.TypeOf<PluginStartException>().With.Message.Contains("Plugin 'a-nopath'"), "the first failure, by name");
        Assert.That(logs.Entries.Count(e => e.Category == ManagerCategory && e.Level == LogLevel.Error), Is.EqualTo(2), "each failure logged once");
        Assert.That(manager.GetState("a-nopath"), Is.EqualTo(PluginState.Failed));
        Assert.That(manager.GetState("b-missing"), Is.EqualTo(PluginState.Failed));
        Assert.That(manager.GetState("lazy"), Is.EqualTo(PluginState.Created), "an OnFirstUse plugin does not start with the others");
    }

    private static CapturingLoggerFactory.LoggedEntry SingleError(CapturingLoggerFactory logs)
    {
        CapturingLoggerFactory.LoggedEntry[] errors = [.. logs.Entries.Where(e => e.Category == ManagerCategory && e.Level == LogLevel.Error)];
        Assert.That(errors, Has.Length.EqualTo(1), "the manager logs the failed start once, at error level");
        return errors[0];
    }

    private static string MissingPath() => Path.Combine(Path.GetTempPath(), "pluginipc-" + Guid.NewGuid().ToString("N"), "plugin");

    private static ServiceProvider Build(CapturingLoggerFactory logs, Action<IServiceCollection> configure, Action<PluginIpcOptions>? options = null)
    {
        var services = new ServiceCollection();
        services.AddSingleton<ILoggerFactory>(logs);
        services.AddPluginIpc(o =>
        {
            o.PluginFolders.Clear();
            options?.Invoke(o);
        });
        configure(services);
        return services.BuildServiceProvider();
    }
}
