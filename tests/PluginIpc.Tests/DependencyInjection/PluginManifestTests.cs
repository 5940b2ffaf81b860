using Microsoft.Extensions.DependencyInjection;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.DependencyInjection;

public sealed class PluginManifestTests
{
    private string _root = null!;

    [SetUp]
    public void SetUp() => _root = Directory.CreateTempSubdirectory("pluginipc-manifests-").FullName;

    [TearDown]
    public void TearDown() => Directory.Delete(_root, recursive: true);

    [Test]
    public async Task Discovery_GoodAndBadManifests_LoadsTheGoodOnesAndNamesFileAndFieldOfTheBad()
    {
        Write("good", """{ "command": "./run.sh", "arguments": ["a"], "framer": "msgpack", "transport": "stdio", "environment": { "X": "1", "Y": null }, "restartPolicy": { "maxRestarts": 3, "windowSeconds": 30, "initialDelayMs": 10, "maxDelayMs": 100 }, "startMode": "atStartup" }""");
        Write("named", """{ "name": "other-name", "command": "dotnet", "restartPolicy": "never" }""");
        string badFramer = Write("bad-framer", """{ "command": "dotnet", "framer": "json" }""");
        string noCommand = Write("no-command", """{ "name": "x" }""");
        string badType = Write("bad-type", """{ "command": "dotnet", "arguments": "exec" }""");
        string typo = Write("typo", """{ "comand": "dotnet" }""");
        string notJson = Write("not-json", """{ "command": """);
        string badPolicy = Write("bad-policy", """{ "command": "dotnet", "restartPolicy": { "maxRestarts": -1 } }""");
        string badPolicyField = Write("bad-policy-field", """{ "command": "dotnet", "restartPolicy": { "maxRestart": 1 } }""");
        string badTransport = Write("bad-transport", """{ "command": "dotnet", "transport": "tcp" }""");
        string badStartMode = Write("bad-start-mode", """{ "command": "dotnet", "startMode": "later" }""");
        string duplicate = Write("zz-duplicate", """{ "name": "good", "command": "dotnet" }""");
        Directory.CreateDirectory(Path.Combine(_root, "no-manifest"));

        await using ServiceProvider provider = Build();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        Assert.That(manager.Names, Is.EquivalentTo(new[] { "good", "other-name" }));
        Dictionary<string, PluginDiscoveryError> errors = manager.DiscoveryErrors.ToDictionary(e => Path.GetFileName(Path.GetDirectoryName(e.ManifestPath))!);
        Assert.That(errors.Keys, Is.EquivalentTo(new[] { "bad-framer", "no-command", "bad-type", "typo", "not-json", "bad-policy", "bad-policy-field", "bad-transport", "bad-start-mode", "zz-duplicate" }));
        Assert.Multiple(() =>
        {
            AssertError(errors["bad-framer"], badFramer, "framer", "'json'");
            AssertError(errors["no-command"], noCommand, "command", "required");
            AssertError(errors["bad-type"], badType, "arguments", "");
            AssertError(errors["typo"], typo, null, "'comand'");
            AssertError(errors["not-json"], notJson, null, "invalid JSON");
            AssertError(errors["bad-policy"], badPolicy, "restartPolicy.maxRestarts", "-1");
            AssertError(errors["bad-policy-field"], badPolicyField, null, "'maxRestart'");
            AssertError(errors["bad-transport"], badTransport, "transport", "'tcp'");
            AssertError(errors["bad-start-mode"], badStartMode, "startMode", "'later'");
            AssertError(errors["zz-duplicate"], duplicate, "name", "taken");
        });
    }

    [Test]
    public void Reader_FullManifest_MapsEveryField()
    {
        string path = Write("good", """{ "command": "./bin/run", "arguments": ["a", "b"], "framer": "msgpack", "transport": "stdio", "environment": { "X": "1", "Y": null }, "restartPolicy": { "maxRestarts": 3, "windowSeconds": 30, "initialDelayMs": 10, "maxDelayMs": 100 }, "startMode": "atStartup" }""");

        PluginDefinition? definition = PluginManifestReader.TryRead(path, StartMode.OnFirstUse, out PluginDiscoveryError? error);

        Assert.That(error, Is.Null);
        Assert.That(definition!.Name, Is.EqualTo("good"));
        Assert.That(definition.StartMode, Is.EqualTo(StartMode.AtStartup));
        PluginOptions options = definition.CreateOptions();
        string folder = Path.Combine(_root, "good");
        Assert.That(options.ExecutablePath, Is.EqualTo(Path.Combine(folder, "bin", "run")), "a relative command resolves against the plugin folder");
        Assert.That(options.WorkingDirectory, Is.EqualTo(folder));
        Assert.That(options.Arguments, Is.EqualTo(new[] { "a", "b" }));
        Assert.That(options.Framer, Is.EqualTo("msgpack"));
        Assert.That(options.Transport, Is.EqualTo(PluginTransport.Stdio));
        Assert.That(options.Environment, Is.EquivalentTo(new Dictionary<string, string?> { ["X"] = "1", ["Y"] = null }));
        Assert.That(options.RestartPolicy.MaxRestarts, Is.EqualTo(3));
        Assert.That(options.RestartPolicy.Window, Is.EqualTo(TimeSpan.FromSeconds(30)));
        Assert.That(options.RestartPolicy.InitialDelay, Is.EqualTo(TimeSpan.FromMilliseconds(10)));
        Assert.That(options.RestartPolicy.MaxDelay, Is.EqualTo(TimeSpan.FromMilliseconds(100)));
    }

    [Test]
    public void Reader_MinimalManifest_UsesDefaultsAndKeepsABareCommand()
    {
        string path = Write("minimal", """{ "command": "python3" }""");

        PluginDefinition? definition = PluginManifestReader.TryRead(path, StartMode.AtStartup, out _);

        PluginOptions options = definition!.CreateOptions();
        Assert.That(definition.Name, Is.EqualTo("minimal"));
        Assert.That(definition.StartMode, Is.EqualTo(StartMode.AtStartup), "the manager's default start mode");
        Assert.That(options.ExecutablePath, Is.EqualTo("python3"), "a bare name is left for the PATH lookup");
        Assert.That(options.Framer, Is.EqualTo("text"));
        Assert.That(options.Transport, Is.EqualTo(PluginTransport.InheritedPipes));
        Assert.That(options.RestartPolicy.MaxRestarts, Is.Zero);
        Assert.That(options.BusPublishTopics, Is.Null, "no bus field: any non-system topic");
        Assert.That(options.BusSubscribeTopics, Is.Null);
    }

    [Test]
    public void Reader_BusAllowLists_MapToTheOptions_AndABadTopicNamesItsField()
    {
        string path = Write("bus", """{ "command": "run", "bus": { "publish": ["orders.*", "sys.restart"], "subscribe": [":prices"] } }""");
        string bad = Write("bad-bus", """{ "command": "run", "bus": { "publish": ["ok", ""] } }""");

        PluginOptions options = PluginManifestReader.TryRead(path, StartMode.OnFirstUse, out _)!.CreateOptions();
        PluginDefinition? refused = PluginManifestReader.TryRead(bad, StartMode.OnFirstUse, out PluginDiscoveryError? error);

        Assert.That(options.BusPublishTopics, Is.EqualTo(new[] { "orders.*", "sys.restart" }));
        Assert.That(options.BusSubscribeTopics, Is.EqualTo(new[] { ":prices" }));
        Assert.That(refused, Is.Null);
        Assert.That(error!.Field, Is.EqualTo("bus.publish[1]"));
        Assert.That(error.Message, Does.Contain("may not be empty"));
    }

    [Test]
    public async Task Discovery_SameFolderListedTwiceInDifferentForms_IsSearchedOnce()
    {
        Write("echo", """{ "command": "dotnet" }""");
        await using ServiceProvider provider = Build(services => services.Configure<PluginIpcOptions>(o =>
        {
            o.PluginFolders.Add(_root + Path.DirectorySeparatorChar); // as the default folder and a configured "plugins" both name one folder
            o.PluginFolders.Add(Path.Combine(_root, "echo", ".."));
        }));
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        Assert.That(manager.Names, Is.EqualTo(new[] { "echo" }));
        Assert.That(manager.DiscoveryErrors, Is.Empty, "the manifest is not reported as a duplicate of itself");
    }

    [Test, CancelAfter(10_000)]
    public async Task Discovery_NameTakenByRegisteredPlugin_RegisteredWinsAndTheManifestIsReported(CancellationToken cancellationToken)
    {
        string manifest = Write("echo", """{ "command": "./missing" }""");
        await using ServiceProvider provider = Build(services => services.AddPlugin("echo", o => o.ExecutablePath = "/nonexistent/registered"));
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        var ex = await Failure.ThrowsAsync<PluginStartException>(() => manager.GetAsync("echo", cancellationToken));

        Assert.That(ex!.Message, Does.Contain("/nonexistent/registered"));
        AssertError(manager.DiscoveryErrors.Single(), manifest, "name", "registered in code");
    }

    [Test, CancelAfter(10_000)]
    public async Task GetAsync_DiscoveredCommandMissing_ThrowsNamingManifestAndPath(CancellationToken cancellationToken)
    {
        string manifest = Write("gone", """{ "command": "bin/gone" }""");
        await using ServiceProvider provider = Build();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        var ex = await Failure.ThrowsAsync<PluginStartException>(() => manager.GetAsync("gone", cancellationToken));

        Assert.That(ex!.Message, Does.Contain(manifest).And.Contain(Path.Combine(_root, "gone", "bin", "gone")));
    }

    [Test, CancelAfter(60_000), Category("Process")]
    public async Task GetAsync_DiscoveredPlugin_StartsInItsFolderWithRelativeArguments(CancellationToken cancellationToken)
    {
        string folder = Path.Combine(_root, "traced");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Combine(folder, "plugin.json"), TracePlugin.Manifest("traced", folder));
        Write("broken", """{ "command": """);
        await using ServiceProvider provider = Build();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        Plugin plugin = await manager.GetAsync("traced", cancellationToken);

        Assert.That(plugin.Metadata["name"], Is.EqualTo("TracePlugin"));
        Assert.That(await plugin.CallAsync("cwd", "", cancellationToken), Is.EqualTo(folder));
        Assert.That(manager.DiscoveryErrors, Has.Count.EqualTo(1), "the broken manifest does not stop the good one");
    }

    [Test, CancelAfter(60_000), Category("Process"), Platform("Linux,MacOsX")]
    [System.Runtime.Versioning.UnsupportedOSPlatform("windows")]
    public async Task GetAsync_DiscoveredRelativeCommand_ResolvesAgainstThePluginFolder(CancellationToken cancellationToken)
    {
        string folder = Path.Combine(_root, "script");
        Directory.CreateDirectory(Path.Combine(folder, "bin"));
        string script = Path.Combine(folder, "bin", "run.sh");
        File.WriteAllText(script, $"#!/bin/sh\nexec '{TestPlugin.DotnetPath}' exec '{TestPlugin.DllPath}' trace\n");
        File.SetUnixFileMode(script, UnixFileMode.UserRead | UnixFileMode.UserWrite | UnixFileMode.UserExecute);
        File.WriteAllText(Path.Combine(folder, "plugin.json"), """{ "command": "bin/run.sh", "framer": "msgpack" }""");
        await using ServiceProvider provider = Build();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        Plugin plugin = await manager.GetAsync("script", cancellationToken);

        Assert.That(await plugin.CallAsync("cwd", "", cancellationToken), Is.EqualTo(folder));
    }

    private static void AssertError(PluginDiscoveryError error, string manifestPath, string? field, string problem)
    {
        Assert.That(error.ManifestPath, Is.EqualTo(manifestPath));
        if (field is not null)
        {
            Assert.That(error.Field, Is.EqualTo(field), error.Message);
        }

        Assert.That(error.Message, Does.StartWith(manifestPath).And.Contain(problem));
    }

    private string Write(string folderName, string json)
    {
        string folder = Path.Combine(_root, folderName);
        Directory.CreateDirectory(folder);
        string path = Path.Combine(folder, "plugin.json");
        File.WriteAllText(path, json);
        return path;
    }

    private ServiceProvider Build(Action<IServiceCollection>? configure = null)
    {
        var services = new ServiceCollection();
        services.AddPluginIpc(o =>
        {
            o.PluginFolders.Clear();
            o.PluginFolders.Add(_root);
        });
        configure?.Invoke(services);
        return services.BuildServiceProvider();
    }
}
