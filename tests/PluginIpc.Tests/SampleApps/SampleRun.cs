using System.Diagnostics;
using System.Reflection;

namespace PluginIpc.Tests.SampleApps;

/// <summary>
/// Runs a sample as its README says, <c>dotnet run --project samples/X</c>, with <c>--no-build</c> and the tests' configuration
/// (the test project's build built it). PluginIpc.Redis.Tests links this file.
/// </summary>
internal static class SampleRun
{
    // After the sample exits, how long its output may take to end: a process it left behind would hold the pipes open.
    private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(5);

    /// <summary>Gets the path of a sample's project, from the test assembly's <c>PluginIpc.Samples.{name}</c> metadata.</summary>
    public static string Project(string name) => Setting(name);

    /// <summary>Runs the sample's project with <paramref name="arguments"/> and returns how it ended.</summary>
    /// <exception cref="TimeoutException">It ran longer than <paramref name="timeout"/> (it was killed with its process tree).</exception>
    public static async Task<SampleResult> RunAsync(string project, string[] arguments, TimeSpan timeout, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(Processes.TestPlugin.DotnetPath)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in (string[])["run", "--no-build", "-c", Setting("Configuration"), "--project", project, "--", .. arguments])
        {
            startInfo.ArgumentList.Add(argument);
        }

        // The test host inherits the MSBuild settings of the 'dotnet test' that started it; 'dotnet run' sets its own.
        foreach (string name in startInfo.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            startInfo.Environment.Remove(name);
        }

        startInfo.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        startInfo.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        string commandLine = string.Join(' ', [startInfo.FileName, .. startInfo.ArgumentList]);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"'{commandLine}' did not start.");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        Task<string> stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);
        using var limit = new CancellationTokenSource(timeout);
        try
        {
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            throw new TimeoutException($"'{commandLine}' did not finish within {timeout.TotalSeconds:0} s and was killed; its output:\n{await OutputOf(stdout, stderr)}");
        }

        return new SampleResult(commandLine, process.ExitCode, await OutputOf(stdout, stderr));
    }

    private static async Task<string> OutputOf(Task<string> stdout, Task<string> stderr)
    {
        try
        {
            await Task.WhenAll(stdout, stderr).WaitAsync(OutputGrace);
        }
        catch (TimeoutException)
        {
            return "(its output did not end: a process it started still holds it)";
        }

        return await stdout + await stderr;
    }

    private static string Setting(string name) =>
        typeof(SampleRun).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().SingleOrDefault(a => a.Key == "PluginIpc.Samples." + name)?.Value
        ?? throw new InvalidOperationException($"The test assembly has no PluginIpc.Samples.{name} metadata (see its csproj).");
}
