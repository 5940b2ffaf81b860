using Microsoft.Extensions.Configuration;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Options;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Hosting.Tests;

public sealed class ConfigurationBindingTests
{
    private const string IssueSection = """
        {
          "PluginIpc": {
            "PluginFolders": [ "plugins" ],
            "Plugins": {
              "echo": { "ExecutablePath": "dotnet", "Arguments": [ "plugins/EchoPlugin.dll" ], "Framer": "msgpack",
                        "StartMode": "AtStartup", "RestartPolicy": { "MaxRestarts": 3 }, "CallTimeout": "00:00:10" }
            }
          }
        }
        """;

    [Test]
    public async Task AddPluginIpc_Section_BindsEveryPluginAndTheManagersSettings()
    {
        await using ServiceProvider provider = ConfigurationHost.Create(IssueSection).Services.BuildServiceProvider();

        PluginOptions echo = provider.GetRequiredService<IOptionsMonitor<PluginOptions>>().Get("echo");
        Assert.That(echo.ExecutablePath, Is.EqualTo("dotnet"));
        Assert.That(echo.Arguments, Is.EqualTo(new[] { "plugins/EchoPlugin.dll" }));
        Assert.That(echo.Framer, Is.EqualTo("msgpack"));
        Assert.That(echo.CallTimeout, Is.EqualTo(TimeSpan.FromSeconds(10)));
        Assert.That(echo.RestartPolicy.MaxRestarts, Is.EqualTo(3));
        Assert.That(echo.RestartPolicy.Window, Is.EqualTo(new RestartPolicy().Window), "unset policy fields keep their defaults");
        Assert.That(echo.StartTimeout, Is.EqualTo(new PluginOptions().StartTimeout), "unset fields keep their defaults");
        Assert.That(provider.GetRequiredService<IOptions<PluginIpcOptions>>().Value.PluginFolders, Is.EqualTo(new[] { "plugins" }), "a listed PluginFolders replaces the default");
        Assert.That(provider.GetRequiredService<IPluginManager>().Names, Does.Contain("echo"));
        Assert.That(provider.GetServices<IHostedService>().Count(), Is.EqualTo(1), "the hosted service is registered once");
    }

    [Test, Category("Process"), CancelAfter(60_000)]
    public async Task AddPluginIpc_AtStartupPluginWithRelativeArgument_RunsWhenTheHostStartsInTheBaseDirectory(CancellationToken cancellationToken)
    {
        using IHost host = ConfigurationHost.Create(ConfigurationHost.TracePluginSection("\"StartMode\": \"atstartup\",")).Build();
        IPluginManager manager = host.Services.GetRequiredService<IPluginManager>();
        Assert.That(manager.GetState("trace"), Is.EqualTo(PluginState.Created));

        await host.StartAsync(cancellationToken);
        try
        {
            Assert.That(manager.GetState("trace"), Is.EqualTo(PluginState.Running), "AtStartup from configuration starts with the host");
            Plugin plugin = await manager.GetAsync("trace", cancellationToken);
            string directory = await plugin.CallAsync("cwd", "", cancellationToken);
            Assert.That(Path.TrimEndingDirectorySeparator(directory), Is.EqualTo(Path.TrimEndingDirectorySeparator(AppContext.BaseDirectory)));
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }

        Assert.That(manager.GetState("trace"), Is.EqualTo(PluginState.Stopped));
    }

    [Test, Category("Process"), CancelAfter(60_000)]
    public async Task AddPlugin_NameFromTheSection_AddsSetupCodeAndOptionsToThatPlugin(CancellationToken cancellationToken)
    {
        HostApplicationBuilder builder = ConfigurationHost.Create(ConfigurationHost.TracePluginSection());
        int setups = 0;
        builder.Services.AddPlugin("trace")
            .Setup((plugin, _) => Interlocked.Increment(ref setups))
            .Configure(o => o.PingInterval = TimeSpan.FromSeconds(42));
        using IHost host = builder.Build();
        await host.StartAsync(cancellationToken);
        try
        {
            IPluginManager manager = host.Services.GetRequiredService<IPluginManager>();
            Plugin plugin = await manager.GetAsync("trace", cancellationToken);

            Assert.That(manager.Names, Is.EqualTo(new[] { "trace" }));
            Assert.That(setups, Is.EqualTo(1));
            PluginOptions options = host.Services.GetRequiredService<IOptionsMonitor<PluginOptions>>().Get("trace");
            Assert.That((options.Framer, options.PingInterval), Is.EqualTo(("msgpack", TimeSpan.FromSeconds(42))), "the section's values and the code's both apply");
            Assert.That(await plugin.CallAsync("cwd", "", cancellationToken), Is.Not.Empty);
        }
        finally
        {
            await host.StopAsync(CancellationToken.None);
        }
    }

    [TestCase("\"CallTimeout\": \"-00:00:01\",", "Plugin 'trace'", "PluginOptions.CallTimeout must be positive")]
    [TestCase("\"CallTimout\": \"00:00:01\",", "Plugin 'trace'", "'PluginIpc:Plugins:trace:CallTimout' is not a plugin setting")]
    [TestCase("\"PingInterval\": \"ten seconds\",", "Plugin 'trace'", "PluginIpc:Plugins:trace:PingInterval")]
    [TestCase("\"StartMode\": \"Eager\",", "Plugin 'trace'", "'PluginIpc:Plugins:trace:StartMode' must be OnFirstUse or AtStartup, not 'Eager'")]
    [TestCase("\"StartMode\": \"1\",", "Plugin 'trace'", "'PluginIpc:Plugins:trace:StartMode' must be OnFirstUse or AtStartup, not '1'")]
    [TestCase("\"RestartPolicy\": { \"MaxRetries\": 3 },", "Plugin 'trace'", "'PluginIpc:Plugins:trace:RestartPolicy:MaxRetries' is not a RestartPolicy setting")]
    [TestCase("\"RestartPolicy\": { \"MaxRestarts\": -1 },", "Plugin 'trace'", "PluginOptions.RestartPolicy.MaxRestarts must be 0 or more, not -1")]
    [TestCase("\"RestartPolicy\": { \"Window\": \"soon\" },", "Plugin 'trace'", "'PluginIpc:Plugins:trace:RestartPolicy:Window'")]
    [TestCase("\"Transport\": \"1\",", "Plugin 'trace'", "'PluginIpc:Plugins:trace:Transport' must be one of InheritedPipes, Stdio, not '1'")]
    [TestCase("\"MaxQueuedMessages\": 0,", "Plugin 'trace'", "PluginOptions.MaxQueuedMessages must be positive, not 0")]
    [TestCase("\"FramerOptions\": { \"MaxChunkBytes\": 0 },", "Plugin 'trace'", "PluginOptions.FramerOptions.MaxChunkBytes must be positive")]
    public void StartAsync_InvalidPluginSetting_FailsTheApplicationsStartNamingThePluginAndTheField(string extra, string plugin, string problem)
    {
        using IHost host = ConfigurationHost.Create(ConfigurationHost.TracePluginSection(extra)).Build();

        Exception? failure = Assert.CatchAsync(() => host.StartAsync(CancellationToken.None));

        Assert.That(Messages(failure), Has.Some.Contains(plugin).And.Contains(problem));
        Assert.That(host.Services.GetRequiredService<IPluginManager>().GetState("trace"), Is.EqualTo(PluginState.Created), "nothing started");
    }

    [Test]
    public void StartAsync_FramerNotKnown_FailsNamingTheFramersThatAre()
    {
        using IHost host = ConfigurationHost.Create(ConfigurationHost.TracePluginSection().Replace("\"Framer\": \"msgpack\"", "\"Framer\": \"json\"", StringComparison.Ordinal)).Build();

        Exception? failure = Assert.CatchAsync(() => host.StartAsync(CancellationToken.None));

        Assert.That(Messages(failure), Has.Some.Contains("Plugin 'trace': PluginOptions.Framer must be 'text' or 'msgpack', not 'json'"));
    }

    [Test]
    public void StartAsync_ExecutableMissing_FailsNamingThePathItLookedFor()
    {
        string json = ConfigurationHost.TracePluginSection().Replace(ConfigurationHost.Quote(TestPlugin.DotnetPath), "\"plugins/missing/Missing\"", StringComparison.Ordinal);
        using IHost host = ConfigurationHost.Create(json).Build();

        Exception? failure = Assert.CatchAsync(() => host.StartAsync(CancellationToken.None));

        Assert.That(Messages(failure), Has.Some.Contains("Plugin 'trace': PluginOptions.ExecutablePath 'plugins/missing/Missing' names no file")
            .And.Contains(Path.Combine(AppContext.BaseDirectory, "plugins", "missing", "Missing")));
    }

    [Test]
    public void StartAsync_PluginsGivenAsAnArray_FailsSayingTheyAreKeyedByName()
    {
        using IHost host = ConfigurationHost.Create("""{ "PluginIpc": { "Plugins": [ { "ExecutablePath": "dotnet" } ] } }""").Build();

        Exception? failure = Assert.CatchAsync(() => host.StartAsync(CancellationToken.None));

        Assert.That(Messages(failure), Has.Some.Contains("'PluginIpc:Plugins:0': Plugins must be an object whose keys are plugin names, not an array."));
    }

    [Test]
    public async Task AddPluginIpc_PluginFoldersAsOneString_IsOneFolder_AndABlankEntryFailsTheStart()
    {
        await using (ServiceProvider provider = ConfigurationHost.Create("""{ "PluginIpc": { "PluginFolders": "extensions" } }""").Services.BuildServiceProvider())
        {
            Assert.That(provider.GetRequiredService<IOptions<PluginIpcOptions>>().Value.PluginFolders, Is.EqualTo(new[] { "extensions" }));
        }

        using IHost host = ConfigurationHost.Create("""{ "PluginIpc": { "PluginFolders": [ "plugins", " " ] } }""").Build();
        Exception? failure = Assert.CatchAsync(() => host.StartAsync(CancellationToken.None));
        Assert.That(Messages(failure), Has.Some.Contains("'PluginIpc:PluginFolders:1' is blank"));
    }

    [Test]
    public void StartAsync_UnknownManagerKey_FailsNamingIt()
    {
        using IHost host = ConfigurationHost.Create("""{ "PluginIpc": { "PluginFolder": [ "plugins" ] } }""").Build();

        Exception? failure = Assert.CatchAsync(() => host.StartAsync(CancellationToken.None));

        Assert.That(Messages(failure), Has.Some.Contains("'PluginIpc:PluginFolder' is not a setting of PluginIpc"));
    }

    [Test]
    public async Task AddPluginIpc_ConfigSection_BindsTheConfigurationStore_AndAPluginsSystemWriteFlag()
    {
        string folder = Path.Combine(Path.GetTempPath(), "pluginipc-config-" + Guid.NewGuid().ToString("N"));
        string json = $$"""
            { "PluginIpc": { "Config": { "Directory": {{ConfigurationHost.Quote(folder)}}, "MaxFileBytes": 4096 },
                             "Plugins": { "echo": { "ExecutablePath": "dotnet", "AllowSystemConfigWrites": true } } } }
            """;
        await using ServiceProvider provider = ConfigurationHost.Create(json).Services.BuildServiceProvider();

        PluginConfigOptions config = provider.GetRequiredService<IOptions<PluginIpcOptions>>().Value.Config;
        Assert.That((config.Directory, config.MaxFileBytes), Is.EqualTo((folder, 4096L)));
        Assert.That(provider.GetRequiredService<IOptionsMonitor<PluginOptions>>().Get("echo").AllowSystemConfigWrites, Is.True);
        try
        {
            IPluginConfigStore store = provider.GetRequiredService<IPluginConfigStore>();
            using System.Text.Json.JsonDocument value = System.Text.Json.JsonDocument.Parse("1");
            await store.SetAsync("echo", PluginConfigScope.User, "k", value.RootElement);
            Assert.That(File.Exists(Path.Combine(folder, "user", "echo.json")), "the store writes where the section says");
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [TestCase("""{ "PluginIpc": { "Config": { "Folder": "x" } } }""", "'PluginIpc:Config:Folder' is not a Config setting")]
    [TestCase("""{ "PluginIpc": { "Config": { "MaxFileBytes": "big" } } }""", "'PluginIpc:Config:MaxFileBytes' must be a whole number of bytes, at least 2, not 'big'")]
    public void StartAsync_InvalidConfigSetting_FailsNamingIt(string json, string problem)
    {
        using IHost host = ConfigurationHost.Create(json).Build();

        Exception? failure = Assert.CatchAsync(() => host.StartAsync(CancellationToken.None));

        Assert.That(Messages(failure), Has.Some.Contains(problem));
    }

    [Test]
    public void AddPlugin_ComposesWithOptionsBuilderConventions_BindValidateAndValidateOnStart()
    {
        var builder = Microsoft.Extensions.Hosting.Host.CreateEmptyApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
        builder.Configuration.AddInMemoryCollection([new("echo:ExecutablePath", TestPlugin.DotnetPath), new("echo:CallTimeout", "00:05:00")]);
        builder.Services.AddPluginIpc(o => o.PluginFolders.Clear());
        builder.Services.AddPlugin("echo")
            .WithStartMode(StartMode.OnFirstUse)
            .Bind(builder.Configuration.GetSection("echo"))
            .Validate(o => o.CallTimeout <= TimeSpan.FromMinutes(1), "Plugin 'echo': CallTimeout must be a minute or less here.")
            .ValidateOnStart();
        using IHost host = builder.Build();

        Exception? failure = Assert.CatchAsync(() => host.StartAsync(CancellationToken.None));

        Assert.That(Messages(failure), Has.Some.Contains("Plugin 'echo': CallTimeout must be a minute or less here."));
    }

    private static IEnumerable<string> Messages(Exception? exception) =>
        exception switch
        {
            null => [],
            AggregateException aggregate => aggregate.InnerExceptions.SelectMany(Messages).Prepend(aggregate.Message),
            _ => Messages(exception.InnerException).Prepend(exception.Message),
        };
}
