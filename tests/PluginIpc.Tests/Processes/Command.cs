using System.Diagnostics;

namespace PluginIpc.Tests.Processes;

/// <summary>
/// Runs a command to its end, within a time limit, and kills its whole process tree when the limit passes. PluginIpc.Hosting.Tests
/// and PluginIpc.Redis.Tests link this file.
/// </summary>
internal static class Command
{
    // After the command exits, how long its output may take to end: a process it left behind could hold the pipes open.
    private static readonly TimeSpan OutputGrace = TimeSpan.FromSeconds(5);

    /// <summary>Runs <paramref name="fileName"/> with <paramref name="arguments"/> in <paramref name="workingDirectory"/>, with <paramref name="environment"/> added to its variables.</summary>
    /// <exception cref="TimeoutException">It ran longer than <paramref name="timeout"/> (it was killed) or the test was cancelled.</exception>
    public static async Task<CommandResult> RunAsync(
        string fileName, IEnumerable<string> arguments, string workingDirectory, TimeSpan timeout, CancellationToken cancellationToken, IReadOnlyDictionary<string, string>? environment = null)
    {
        var startInfo = new ProcessStartInfo(fileName)
        {
            WorkingDirectory = workingDirectory,
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        // The test host inherits the MSBuild settings of the 'dotnet test' that started it; a child 'dotnet' sets its own.
        foreach (string name in startInfo.Environment.Keys.Where(k => k.StartsWith("MSBuild", StringComparison.OrdinalIgnoreCase)).ToList())
        {
            startInfo.Environment.Remove(name);
        }

        // No build server or MSBuild node may outlive the command: each would hold its output open and stay behind.
        startInfo.Environment["MSBUILDDISABLENODEREUSE"] = "1";
        startInfo.Environment["DOTNET_CLI_USE_MSBUILD_SERVER"] = "0";
        startInfo.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        startInfo.Environment["DOTNET_NOLOGO"] = "1";
        startInfo.Environment["DOTNET_SKIP_FIRST_TIME_EXPERIENCE"] = "1";
        foreach ((string name, string value) in environment ?? new Dictionary<string, string>())
        {
            startInfo.Environment[name] = value;
        }

        string commandLine = string.Join(' ', [fileName, .. startInfo.ArgumentList]);
        using var process = Process.Start(startInfo) ?? throw new InvalidOperationException($"'{commandLine}' did not start.");
        process.StandardInput.Close();
        Task<string> stdout = process.StandardOutput.ReadToEndAsync(CancellationToken.None);
        Task<string> stderr = process.StandardError.ReadToEndAsync(CancellationToken.None);

        using var limit = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        limit.CancelAfter(timeout);
        try
        {
            // Without BeginOutputReadLine, this waits for the process alone, not for the end of its output.
            await process.WaitForExitAsync(limit.Token);
        }
        catch (OperationCanceledException)
        {
            process.Kill(entireProcessTree: true);
            string partial = await OutputOf(stdout, stderr);
            throw new TimeoutException($"'{commandLine}' did not finish within {timeout.TotalSeconds:0} s and was killed; its output:\n{partial}");
        }

        return new CommandResult(commandLine, process.ExitCode, await OutputOf(stdout, stderr));
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
}
