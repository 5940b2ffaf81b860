using System.Reflection;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.SampleApps;

/// <summary>
/// Runs a sample as its README says, <c>dotnet run --project samples/X</c>, with <c>--no-build</c> and the tests' configuration
/// (the test project's build built it). PluginIpc.Redis.Tests links this file.
/// </summary>
internal static class SampleRun
{
    /// <summary>Gets the path of a sample's project, from the test assembly's <c>PluginIpc.Samples.{name}</c> metadata.</summary>
    public static string Project(string name) => Setting(name);

    /// <summary>Runs the sample's project with <paramref name="arguments"/> and returns how it ended.</summary>
    /// <exception cref="TimeoutException">It ran longer than <paramref name="timeout"/> (it was killed with its process tree).</exception>
    public static Task<CommandResult> RunAsync(string project, string[] arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null) =>
        Command.RunAsync(
            TestPlugin.DotnetPath,
            ["run", "--no-build", "-c", Setting("Configuration"), "--project", project, "--", .. arguments],
            Path.GetDirectoryName(project)!,
            timeout,
            CancellationToken.None,
            environment);

    private static string Setting(string name) =>
        typeof(SampleRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "PluginIpc.Samples." + name)?.Value
        ?? throw new InvalidOperationException($"The test assembly has no PluginIpc.Samples.{name} metadata (see its csproj).");
}
