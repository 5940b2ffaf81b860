namespace PluginIpc.Tests.Processes;

/// <summary>
/// Node.js for the tests that need it: finds <c>node</c> and <c>npm</c> on the PATH (without them the test is ignored, or fails
/// under CI=true) and installs a folder's packages with <c>npm ci</c> once. PluginIpc.AspNetCore.Tests links this file.
/// </summary>
internal static class NodeTools
{
    private static readonly TimeSpan s_npmTimeout = TimeSpan.FromMinutes(3);

    /// <summary>Finds <paramref name="name"/> on the PATH; ignores the test without it, or fails it under CI, saying <paramref name="hint"/>.</summary>
    public static string Require(string name, string hint)
    {
        string[] names = OperatingSystem.IsWindows() ? [name + ".cmd", name + ".exe"] : [name];
        foreach (string directory in (Environment.GetEnvironmentVariable("PATH") ?? string.Empty).Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries))
        {
            foreach (string candidate in names.Select(n => Path.Combine(directory, n)))
            {
                if (File.Exists(candidate))
                {
                    return candidate;
                }
            }
        }

        string message = $"'{name}' is not on the PATH: {hint}";
        if (string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase))
        {
            Assert.Fail(message);
        }

        Assert.Ignore(message);
        return name;
    }

    /// <summary>Runs <c>npm ci</c> unless node_modules already holds what package-lock.json names (npm writes its own copy there).</summary>
    public static async Task InstallOnceAsync(string npm, string folder)
    {
        string lockFile = Path.Combine(folder, "package-lock.json");
        string installed = Path.Combine(folder, "node_modules", ".package-lock.json");
        if (File.Exists(installed) && File.GetLastWriteTimeUtc(installed) >= File.GetLastWriteTimeUtc(lockFile))
        {
            return;
        }

        CommandResult install = await Command.RunAsync(npm, ["ci", "--no-audit", "--no-fund"], folder, s_npmTimeout, CancellationToken.None);
        Assert.That(install.ExitCode, Is.Zero, install.ToString());
    }
}
