using System.Text.RegularExpressions;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Hosting.Tests.Packaging;

/// <content>
/// The README's quick start, followed as written against the packed packages: the code blocks it marks with
/// <c>&lt;!-- quickstart: path --&gt;</c> are copied into projects made with <c>dotnet new console</c>, so a README that
/// stops working fails here.
/// </content>
public sealed partial class PackageTests
{
    [Test]
    public async Task ReadmeQuickStart_FollowedAsWritten_RunsTheHostAndItsPluginThenTheDependencyInjectionVersion()
    {
        Dictionary<string, string> blocks = ReadmeBlocks();
        string folder = Directory.CreateDirectory(Path.Combine(_root!, "quickstart")).FullName;
        string packages = Path.Combine(_root!, "quickstart-packages");
        WriteNuGetConfig(folder);
        using var timeout = new CancellationTokenSource(4 * BuildTimeout);

        // 1. Three projects: the contract both sides reference, the plugin, the host.
        await RunAsync(folder, timeout.Token, "new", "classlib", "-o", "MyContracts");
        await RunAsync(folder, timeout.Token, "new", "console", "-o", "MyPlugin");
        await RunAsync(folder, timeout.Token, "new", "console", "-o", "MyHost");
        await AddPackageAsync(folder, "MyContracts", "PluginIpc", _core.Version, timeout.Token);
        await AddPackageAsync(folder, "MyPlugin", "PluginIpc", _core.Version, timeout.Token);
        await AddPackageAsync(folder, "MyHost", "PluginIpc", _core.Version, timeout.Token);
        await RunAsync(folder, timeout.Token, "add", "MyPlugin", "reference", "MyContracts");
        await RunAsync(folder, timeout.Token, "add", "MyHost", "reference", "MyContracts");

        // 2-5. The contract, the plugin, the MSBuild lines that put it next to the host, the host.
        File.WriteAllText(Path.Combine(folder, "MyContracts", "IGreeter.cs"), blocks["quickstart: MyContracts/IGreeter.cs"]);
        File.WriteAllText(Path.Combine(folder, "MyPlugin", "Program.cs"), blocks["quickstart: MyPlugin/Program.cs"]);
        string hostProject = Path.Combine(folder, "MyHost", "MyHost.csproj");
        File.WriteAllText(hostProject, File.ReadAllText(hostProject).Replace("</Project>", blocks["quickstart: MyHost/MyHost.csproj"] + "</Project>", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(folder, "MyHost", "Program.cs"), blocks["quickstart: MyHost/Program.cs"]);

        string output = await BuildAndRunHostAsync(folder, packages, timeout.Token);

        Assert.That(output, Does.Match(@"MyPlugin 1\.0 runs as process \d+\n"));
        Assert.That(output, Does.Contain("\nHello, host!\nPoint { X = 11, Y = 22 }\ncounted 1\ncounted 2\ncounted 3\nhello\nRepeated: hi\nRefreshed: now\nRound trip: "), "the generated proxy and dispatcher work from the package");

        // The dependency injection version: two more packages, appsettings.json copied to the output, a new Program.cs.
        await AddPackageAsync(folder, "MyHost", "PluginIpc.Hosting", _hosting.Version, timeout.Token);
        await AddPackageAsync(folder, "MyHost", "Microsoft.Extensions.Hosting", MicrosoftExtensionsMinimum, timeout.Token);
        string copyItem = Regex.Match(File.ReadAllText(ReadmePath()), "`(<ItemGroup><None Update=\"appsettings.json\"[^`]*</ItemGroup>)`").Groups[1].Value;
        Assert.That(copyItem, Is.Not.Empty, "the README says how appsettings.json reaches the output folder");
        File.WriteAllText(hostProject, File.ReadAllText(hostProject).Replace("</Project>", copyItem + "\n</Project>", StringComparison.Ordinal));
        File.WriteAllText(Path.Combine(folder, "MyHost", "appsettings.json"), blocks["quickstart-di: MyHost/appsettings.json"]);
        File.WriteAllText(Path.Combine(folder, "MyHost", "Program.cs"), blocks["quickstart-di: MyHost/Program.cs"]);

        output = await BuildAndRunHostAsync(folder, packages, timeout.Token);

        Assert.That(output, Does.Contain("hello from DI\nRepeated: hi\nHealth: Healthy (1 of 1 plugins are healthy.)\n"));
    }

    private static string ReadmePath() => Path.Combine(RepositoryRoot(), "README.md");

    /// <summary>Returns the README's marked code blocks, by their marker (<c>quickstart: MyHost/Program.cs</c>).</summary>
    private static Dictionary<string, string> ReadmeBlocks()
    {
        MatchCollection matches = Regex.Matches(
            File.ReadAllText(ReadmePath()).ReplaceLineEndings("\n"),
            @"<!-- (quickstart(?:-di)?: [^ ]+) -->\n```[a-z]*\n(.*?)```",
            RegexOptions.Singleline);
        Assert.That(matches, Has.Count.EqualTo(6), "the README marks six quick start blocks");
        return matches.ToDictionary(m => m.Groups[1].Value, m => m.Groups[2].Value);
    }

    private async Task<string> BuildAndRunHostAsync(string folder, string packages, CancellationToken cancellationToken)
    {
        // Its own packages folder: the machine's global one never caches these test builds.
        await RunAsync(folder, cancellationToken, "build", "MyHost", "-nodeReuse:false", "-p:UseSharedCompilation=false", $"-p:RestorePackagesPath={packages}");

        // Run from the folder above the host's: relative paths must not depend on the current directory.
        CommandResult run = await Command.RunAsync(
            TestPlugin.DotnetPath, [Path.Combine(folder, "MyHost", "bin", "Debug", "net10.0", "MyHost.dll")], folder, RunTimeout, cancellationToken);
        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        return run.Output.ReplaceLineEndings("\n");
    }

    private static Task AddPackageAsync(string folder, string project, string package, string version, CancellationToken cancellationToken) =>
        RunAsync(folder, cancellationToken, "add", project, "package", package, "--version", version, "--no-restore");

    private static async Task RunAsync(string folder, CancellationToken cancellationToken, params string[] arguments)
    {
        CommandResult result = await Command.RunAsync(TestPlugin.DotnetPath, arguments, folder, BuildTimeout, cancellationToken);
        Assert.That(result.ExitCode, Is.Zero, result.ToString());
    }
}
