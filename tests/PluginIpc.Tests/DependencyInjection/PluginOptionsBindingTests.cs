using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace PluginIpc.Tests.DependencyInjection;

/// <summary>Binding configuration onto one plugin's options changes that plugin only: no options share a mutable default.</summary>
public sealed class PluginOptionsBindingTests
{
    [Test]
    public void Bind_OnePluginsRestartPolicy_ChangesNoSharedPolicyAndNoOtherPlugin()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?>
            {
                ["Plugins:bound:RestartPolicy:MaxRestarts"] = "2",
                ["Plugins:bound:RestartPolicy:Window"] = "00:00:30",
                ["Plugins:onfailure:RestartPolicy:MaxRestarts"] = "1",
            })
            .Build();
        var services = new ServiceCollection();
        services.AddPluginIpc(o => o.PluginFolders.Clear());
        services.AddPlugin("other", o => o.ExecutablePath = "/bin/true");
        services.AddPlugin("bound", o =>
        {
            o.ExecutablePath = "/bin/true";
            configuration.GetSection("Plugins:bound").Bind(o);
        });
        services.AddPlugin("onfailure", o =>
        {
            o.ExecutablePath = "/bin/true";
            o.RestartPolicy = RestartPolicy.OnFailure;
            configuration.GetSection("Plugins:onfailure").Bind(o);
        });
        using ServiceProvider provider = services.BuildServiceProvider();
        IOptionsMonitor<PluginOptions> options = provider.GetRequiredService<IOptionsMonitor<PluginOptions>>();

        PluginOptions other = options.Get("other");
        PluginOptions bound = options.Get("bound");
        PluginOptions onFailure = options.Get("onfailure");

        Assert.That(bound.RestartPolicy.MaxRestarts, Is.EqualTo(2), "the binder set the bound plugin's policy");
        Assert.That(bound.RestartPolicy.Window, Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(onFailure.RestartPolicy.MaxRestarts, Is.EqualTo(1));
        Assert.That(RestartPolicy.Never.MaxRestarts, Is.Zero, "RestartPolicy.Never is unchanged");
        Assert.That(RestartPolicy.Never.Window, Is.EqualTo(TimeSpan.FromMinutes(1)), "RestartPolicy.Never is unchanged");
        Assert.That(RestartPolicy.OnFailure.MaxRestarts, Is.EqualTo(5), "RestartPolicy.OnFailure is unchanged");
        Assert.That(other.RestartPolicy.MaxRestarts, Is.Zero, "another plugin's policy is unchanged");
        Assert.That(other.RestartPolicy.Window, Is.EqualTo(TimeSpan.FromMinutes(1)), "another plugin's policy is unchanged");
        Assert.That(new PluginOptions().RestartPolicy.MaxRestarts, Is.Zero, "new options still default to never restarting");
    }

    [Test]
    public void RestartPolicy_NeverAndOnFailure_AreNewInstancesOnEachAccess()
    {
        Assert.That(RestartPolicy.Never, Is.Not.SameAs(RestartPolicy.Never));
        Assert.That(RestartPolicy.OnFailure, Is.Not.SameAs(RestartPolicy.OnFailure));
        Assert.That(new PluginOptions().RestartPolicy, Is.Not.SameAs(new PluginOptions().RestartPolicy));
    }

    [Test]
    public void Bind_PluginIpcOptions_ChangesNoOtherInstance()
    {
        IConfiguration configuration = new ConfigurationBuilder()
            .AddInMemoryCollection(new Dictionary<string, string?> { ["PluginFolders:1"] = "extensions" })
            .Build();
        var first = new PluginIpcOptions();
        configuration.Bind(first);

        Assert.That(first.PluginFolders, Does.Contain("extensions"));
        Assert.That(new PluginIpcOptions().PluginFolders, Is.EqualTo(new[] { PluginIpcOptions.DefaultPluginFolder }));
    }
}
