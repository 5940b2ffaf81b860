using Microsoft.Extensions.Options;
using Microsoft.Extensions.DependencyInjection;

namespace PluginIpc.Tests.DependencyInjection;

public sealed class PluginRegistrationTests
{
    [Test]
    public void AddPluginIpc_CalledTwice_RegistersOneManagerAndAppliesBothConfigurations()
    {
        var services = new ServiceCollection();
        services.AddPluginIpc(o => o.PluginFolders.Clear());
        services.AddPluginIpc(o => o.DefaultStartMode = StartMode.AtStartup);

        Assert.That(services.Count(d => d.ServiceType == typeof(IPluginManager)), Is.EqualTo(1));
        using ServiceProvider provider = services.BuildServiceProvider();
        Assert.That(provider.GetRequiredService<IPluginManager>(), Is.SameAs(provider.GetRequiredService<IPluginManager>()));
        Assert.That(provider.GetRequiredService<IPluginManager>().Names, Is.Empty);
    }

    [Test]
    public void AddPlugin_SameNameTwice_ConfiguresOnePluginInOrder()
    {
        var services = new ServiceCollection();
        services.AddPlugin("echo", o => o.ExecutablePath = "/bin/true").WithStartMode(StartMode.AtStartup);
        services.AddPlugin("echo", o => o.CallTimeout = TimeSpan.FromSeconds(3)).Setup((_, _) => { });
        using ServiceProvider provider = services.BuildServiceProvider();

        PluginOptions options = provider.GetRequiredService<IOptionsMonitor<PluginOptions>>().Get("echo");
        Assert.That((options.ExecutablePath, options.CallTimeout), Is.EqualTo(("/bin/true", TimeSpan.FromSeconds(3))));
        Assert.That(provider.GetRequiredService<IPluginManager>().Names, Is.EqualTo(new[] { "echo" }));
        Assert.That(services.Count(d => d.ServiceType == typeof(PluginRegistration)), Is.EqualTo(1));
    }

    [Test]
    public void AddPlugin_OptionsMethodsThenSetup_ChainOnThePluginBuilder()
    {
        var services = new ServiceCollection();
        int setups = 0;
        services.AddPlugin("chained")
            .Configure(o => o.ExecutablePath = "/bin/true")
            .PostConfigure(o => o.CallTimeout = TimeSpan.FromSeconds(7))
            .Validate(o => o.CallTimeout < TimeSpan.FromSeconds(5), "Plugin 'chained': CallTimeout must be under 5 s here.")
            .ValidateOnStart()
            .Setup((_, _) => setups++)
            .WithStartMode(StartMode.AtStartup);
        using ServiceProvider provider = services.BuildServiceProvider();

        var failure = Assert.Throws<OptionsValidationException>(() => provider.GetRequiredService<IStartupValidator>().Validate());

        Assert.That(failure!.Message, Does.Contain("Plugin 'chained': CallTimeout must be under 5 s here."));
    }

    [Test]
    public void AddPlugin_EmptyName_Throws()
    {
        var services = new ServiceCollection();
        Assert.Throws<ArgumentException>(() => services.AddPlugin(" ", o => o.ExecutablePath = "/bin/true"));
    }

    [Test, CancelAfter(10_000)]
    public async Task GetAsync_ExecutablePathNotSet_ThrowsNamingTheSetting(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = Build(services => services.AddPlugin("nopath", o => o.Framer = "msgpack"));
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        var ex = await Failure.ThrowsAsync<PluginStartException>(() => manager.GetAsync("nopath", cancellationToken));

        Assert.That(ex!.Message, Does.Contain("Plugin 'nopath'").And.Contain("PluginOptions.ExecutablePath is required"));
    }

    [Test, CancelAfter(10_000)]
    public async Task GetAsync_MissingExecutable_ThrowsNamingThePathAndRetriesNextTime(CancellationToken cancellationToken)
    {
        string missing = Path.Combine(Path.GetTempPath(), "pluginipc-" + Guid.NewGuid().ToString("N"), "plugin");
        await using ServiceProvider provider = Build(services => services.AddPlugin("missing", o => o.ExecutablePath = missing));
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        var first = await Failure.ThrowsAsync<PluginStartException>(() => manager.GetAsync("missing", cancellationToken));
        var second = await Failure.ThrowsAsync<PluginStartException>(() => manager.GetAsync("missing", cancellationToken));

        Assert.That(first!.Message, Does.Contain($"'{missing}' does not exist"));
        Assert.That(second, Is.Not.SameAs(first), "a failed start is not cached: the second call tried again");
    }

    [Test, CancelAfter(10_000)]
    public async Task GetAsync_InvalidFramer_ThrowsNamingTheSetting(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = Build(services => services.AddPlugin("badframer", o =>
        {
            o.ExecutablePath = "/bin/true";
            o.Framer = "json";
        }));
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        var ex = await Failure.ThrowsAsync<PluginStartException>(() => manager.GetAsync("badframer", cancellationToken));

        Assert.That(ex!.Message, Does.Contain("misconfigured").And.Contain("PluginOptions.Framer").And.Contain("'json'"));
    }

    [Test, CancelAfter(10_000)]
    public async Task GetAsync_UnknownName_ThrowsListingKnownNames(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = Build(services =>
        {
            services.AddPlugin("b", o => o.ExecutablePath = "/bin/true");
            services.AddPlugin("a", o => o.ExecutablePath = "/bin/true");
        });
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        var ex = await Failure.ThrowsAsync<KeyNotFoundException>(() => manager.GetAsync("c", cancellationToken));

        Assert.That(ex!.Message, Does.Contain("'c'").And.Contain("a, b"));
        Assert.That(manager.Names, Is.EquivalentTo(new[] { "a", "b" }));
    }

    [Test, CancelAfter(10_000)]
    public async Task GetAsync_AfterStop_ThrowsObjectDisposed(CancellationToken cancellationToken)
    {
        await using ServiceProvider provider = Build(services => services.AddPlugin("a", o => o.ExecutablePath = "/bin/true"));
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        await manager.StopAsync(cancellationToken);

        await Failure.ThrowsAsync<ObjectDisposedException>(() => manager.GetAsync("a", cancellationToken));
    }

    private static ServiceProvider Build(Action<IServiceCollection> configure)
    {
        var services = new ServiceCollection();
        services.AddPluginIpc(o => o.PluginFolders.Clear());
        configure(services);
        return services.BuildServiceProvider();
    }
}
