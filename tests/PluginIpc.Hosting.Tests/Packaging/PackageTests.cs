using System.Reflection;
using System.Text.Json;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Hosting.Tests.Packaging;

/// <summary>
/// Packs PluginIpc, PluginIpc.Hosting and PluginIpc.Redis as a release would, checks what the packages declare, and builds and runs a fresh
/// console app outside the repository that gets them by PackageReference alone.
/// </summary>
[Category("Packaging")]
public sealed partial class PackageTests
{
    // The lowest Microsoft.Extensions version the packages declare (Directory.Packages.props); the app below runs on it.
    private const string MicrosoftExtensionsMinimum = "10.0.0";

    // Dependencies of PluginIpc that PluginIpc.Hosting may declare again because it uses them directly: none today.
    private static readonly string[] RedeclaredOnPurpose = [];

    private static readonly TimeSpan PackTimeout = TimeSpan.FromSeconds(120);
    private static readonly TimeSpan BuildTimeout = TimeSpan.FromSeconds(180);
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(60);

    private string? _root;
    private string _feed = string.Empty;
    private PackedPackage _core = null!;
    private PackedPackage _hosting = null!;
    private PackedPackage _redis = null!;

    [OneTimeSetUp]
    public async Task PackAsync()
    {
        _root = Directory.CreateTempSubdirectory("pluginipc-pack-").FullName;
        _feed = Directory.CreateDirectory(Path.Combine(_root, "feed")).FullName;
        using var timeout = new CancellationTokenSource(2 * PackTimeout);
        foreach (string project in (string[])[BuildSetting("PluginIpcProject"), BuildSetting("HostingProject"), BuildSetting("RedisProject")])
        {
            await PackAsync(project, timeout.Token);
        }

        Dictionary<string, PackedPackage> packages = Directory.GetFiles(_feed, "*.nupkg").Select(PackedPackage.Read).ToDictionary(p => p.Id);
        Assert.That(packages.Keys, Is.EquivalentTo((string[])["PluginIpc", "PluginIpc.Hosting", "PluginIpc.Redis"]), "the packages written");
        _core = packages["PluginIpc"];
        _hosting = packages["PluginIpc.Hosting"];
        _redis = packages["PluginIpc.Redis"];
    }

    [OneTimeTearDown]
    public void DeleteTemporaryFolders()
    {
        if (_root is not null && Directory.Exists(_root))
        {
            Directory.Delete(_root, recursive: true);
        }
    }

    [Test]
    public void Nuspecs_DeclareEachDependencyOnceAtItsMinimumWithReadmeLicenseAndSymbols()
    {
        foreach (PackedPackage package in (PackedPackage[])[_core, _hosting, _redis])
        {
            Assert.That(package.Dependencies.Select(d => d.Id), Is.Unique, $"{package.Id} lists a dependency twice");
            Assert.That(
                package.Dependencies.Where(d => d.Id.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal)),
                Has.All.Matches<(string Id, string Version)>(d => d.Version == MicrosoftExtensionsMinimum),
                $"{package.Id}: Microsoft.Extensions dependencies at the minimum {MicrosoftExtensionsMinimum}");
            Assert.That(package.Optional("license"), Is.EqualTo("MIT"));
            Assert.That(package.Optional("readme"), Is.EqualTo("README.md"));
            Assert.That(PackedPackage.ReadEntry(package.Path, "README.md"), Does.StartWith($"# {package.Id}\n"), $"{package.Id} packs its own README");
            Assert.That(File.Exists(package.SymbolsPath), Is.True, $"{package.Id} has a .snupkg");
            Assert.That(PackedPackage.EntryNames(package.SymbolsPath), Does.Contain($"lib/net10.0/{package.Id}.pdb"));
            Assert.That(PackedPackage.EntryNames(package.Path), Has.None.EndsWith(".pdb"), "symbols go to the .snupkg only");
        }

        foreach (PackedPackage companion in (PackedPackage[])[_hosting, _redis])
        {
            Assert.That(companion.Dependencies, Does.Contain(("PluginIpc", _core.Version)));
            Assert.That(
                companion.Dependencies.Select(d => d.Id).Intersect(_core.Dependencies.Select(d => d.Id)).Except(RedeclaredOnPurpose),
                Is.Empty,
                $"{companion.Id} re-declares dependencies it gets through PluginIpc");
        }

        Assert.That(_redis.Dependencies.Select(d => d.Id), Is.EquivalentTo((string[])["PluginIpc", "StackExchange.Redis"]));
    }

    [Test]
    public async Task ConsoleApp_ReferencingThePackage_HostsItselfAsItsPluginAndCallsIt()
    {
        string app = Directory.CreateDirectory(Path.Combine(_root!, "app")).FullName;
        string packages = Path.Combine(_root!, "packages");
        Assert.That(app, Does.Not.StartWith(RepositoryRoot()), "the app must be outside the repository, away from its Directory.*.props");
        WriteApp(app);
        using var timeout = new CancellationTokenSource(BuildTimeout + RunTimeout);

        CommandResult build = await Command.RunAsync(
            TestPlugin.DotnetPath,
            [
                "build", "-c", "Release", "-nodeReuse:false", "-p:UseSharedCompilation=false",
                // Its own packages folder: the machine's global one never caches these test builds.
                $"-p:RestorePackagesPath={packages}",
            ],
            app,
            BuildTimeout,
            timeout.Token);
        Assert.That(build.ExitCode, Is.Zero, build.ToString());
        Assert.That(SourceOf(packages, _hosting), Is.EqualTo(_feed), "PluginIpc.Hosting restored from the packed folder");
        Assert.That(SourceOf(packages, _core), Is.EqualTo(_feed), "PluginIpc restored from the packed folder");
        Assert.That(
            RestoredLibraries(app).Where(l => l.StartsWith("Microsoft.Extensions.", StringComparison.Ordinal)),
            Has.All.EndsWith("/" + MicrosoftExtensionsMinimum),
            "no package asks for more than the minimum");

        CommandResult run = await Command.RunAsync(
            TestPlugin.DotnetPath, [Path.Combine(app, "bin", "Release", "net10.0", "PackConsumer.dll")], app, RunTimeout, timeout.Token);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("state after start: Running"), run.ToString());
        Assert.That(run.Output, Does.Contain("plugin name: PackConsumer"), run.ToString());
        Assert.That(run.Output, Does.Contain("echo: hello through the packages"), run.ToString());
        Assert.That(run.Output, Does.Contain("callback: host saw abc"), run.ToString());
        Assert.That(run.Output, Does.Contain("contract: GENERATED!"), "the generator reaches an app that references PluginIpc.Hosting only: " + run);
        Assert.That(run.Output, Does.Contain("state after stop: Stopped"), run.ToString());
    }

    private static string BuildSetting(string name) =>
        typeof(PackageTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().Single(a => a.Key == "PluginIpc.PackTest." + name).Value!;

    private static string RepositoryRoot() => Path.GetFullPath(Path.Combine(Path.GetDirectoryName(BuildSetting("PluginIpcProject"))!, "..", ".."));

    // Where NuGet says it took the package from.
    private static string SourceOf(string packagesFolder, PackedPackage package)
    {
        string metadata = Path.Combine(packagesFolder, package.Id.ToLowerInvariant(), package.Version.ToLowerInvariant(), ".nupkg.metadata");
        using JsonDocument json = JsonDocument.Parse(File.ReadAllText(metadata));
        return Path.TrimEndingDirectorySeparator(json.RootElement.GetProperty("source").GetString()!);
    }

    // Every "Id/Version" that the app's restore resolved.
    private static IEnumerable<string> RestoredLibraries(string app)
    {
        using JsonDocument assets = JsonDocument.Parse(File.ReadAllText(Path.Combine(app, "obj", "project.assets.json")));
        return [.. assets.RootElement.GetProperty("libraries").EnumerateObject().Select(p => p.Name)];
    }

    private async Task PackAsync(string project, CancellationToken cancellationToken)
    {
        // 'dotnet test' built the projects in this configuration: packing them takes seconds. Without those outputs, build.
        string configuration = BuildSetting("Configuration");
        string[] pack = ["pack", project, "-c", configuration, "-o", _feed, "-nodeReuse:false"];
        CommandResult packed = await Command.RunAsync(TestPlugin.DotnetPath, [.. pack, "--no-build"], Path.GetDirectoryName(project)!, PackTimeout, cancellationToken);
        if (packed.ExitCode != 0)
        {
            await TestContext.Progress.WriteLineAsync($"Packing without a build failed, so building: {packed}");
            packed = await Command.RunAsync(TestPlugin.DotnetPath, [.. pack, "-p:UseSharedCompilation=false"], Path.GetDirectoryName(project)!, PackTimeout, cancellationToken);
        }

        Assert.That(packed.ExitCode, Is.Zero, packed.ToString());
    }

    // Adds the packed folder to the sources the user has; clears none.
    private void WriteNuGetConfig(string folder) =>
        File.WriteAllText(Path.Combine(folder, "nuget.config"), $"""
            <?xml version="1.0" encoding="utf-8"?>
            <configuration>
              <packageSources>
                <add key="pluginipc-packed" value="{_feed}" />
              </packageSources>
            </configuration>
            """);

    // A console app that is its own plugin: started with "plugin" it registers with its host; otherwise it is a generic host
    // that starts itself as a plugin, calls it both ways over the msgpack framing, and stops it.
    private void WriteApp(string app)
    {
        WriteNuGetConfig(app);
        File.WriteAllText(Path.Combine(app, "PackConsumer.csproj"), $"""
            <Project Sdk="Microsoft.NET.Sdk">
              <PropertyGroup>
                <OutputType>Exe</OutputType>
                <TargetFramework>net10.0</TargetFramework>
                <ImplicitUsings>enable</ImplicitUsings>
                <Nullable>enable</Nullable>
                <TreatWarningsAsErrors>true</TreatWarningsAsErrors>
                <NuGetAudit>false</NuGetAudit>
              </PropertyGroup>
              <ItemGroup>
                <PackageReference Include="PluginIpc.Hosting" Version="{_hosting.Version}" />
                <PackageReference Include="Microsoft.Extensions.Hosting" Version="{MicrosoftExtensionsMinimum}" />
              </ItemGroup>
            </Project>
            """);
        File.WriteAllText(Path.Combine(app, "Program.cs"), """
            using System.Text;
            using Microsoft.Extensions.DependencyInjection;
            using Microsoft.Extensions.Hosting;
            using Microsoft.Extensions.Logging;
            using PluginIpc;

            if (args is ["plugin"])
            {
                var options = new MainOptions { Name = "PackConsumer" };
                options.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
                options.Handle("callback", static async (chunk, peer, cancellationToken) => await peer.CallAsync("Repeat", chunk.Buffer, cancellationToken));
                options.AddTarget<IShout>(new Shout());
                return await Main.RegisterAsync(options);
            }

            HostApplicationBuilder builder = Host.CreateApplicationBuilder(args);
            builder.Logging.SetMinimumLevel(LogLevel.Warning);
            builder.Services.AddPluginIpcHostedService(o => o.PluginFolders.Clear());
            builder.Services.AddPlugin("self", o =>
            {
                o.ExecutablePath = Environment.ProcessPath!; // the dotnet that runs this app
                o.Arguments.Add(typeof(Program).Assembly.Location);
                o.Arguments.Add("plugin");
                o.Framer = "msgpack";
                o.StartTimeout = TimeSpan.FromSeconds(30);
            })
            .WithStartMode(StartMode.AtStartup)
            .Setup((plugin, _) => plugin.Handle("Repeat", static (chunk, _, _) =>
                ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("host saw " + Encoding.UTF8.GetString(chunk.Buffer.Span)))));

            using IHost host = builder.Build();
            await host.StartAsync();
            IPluginManager manager = host.Services.GetRequiredService<IPluginManager>();
            Console.WriteLine($"state after start: {manager.GetState("self")}");
            Plugin self = await manager.GetAsync("self");
            Console.WriteLine($"plugin name: {self.Metadata["name"]}");
            Console.WriteLine($"echo: {await self.CallAsync("echo", "hello through the packages")}");
            Console.WriteLine($"callback: {await self.CallAsync("callback", "abc")}");
            Console.WriteLine($"contract: {await self.GetProxy<IShout>().ShoutAsync("generated")}");
            await host.StopAsync();
            Console.WriteLine($"state after stop: {self.State}");
            return 0;

            // Only PluginIpc.Hosting is referenced: PluginIpc's contract generator must come with it.
            [PluginContract]
            public interface IShout
            {
                Task<string> ShoutAsync(string text, CancellationToken cancellationToken = default);
            }

            public sealed class Shout : IShout
            {
                public Task<string> ShoutAsync(string text, CancellationToken cancellationToken = default) => Task.FromResult(text.ToUpperInvariant() + "!");
            }
            """);
    }
}
