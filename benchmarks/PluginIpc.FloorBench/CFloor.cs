using System.Diagnostics;
using System.Globalization;

namespace PluginIpc.FloorBench;

/// <summary>The C floor: floor.c (copied next to this harness) compiled with gcc -O2 into a temporary folder, run once per round.</summary>
internal static class CFloor
{
    /// <summary>Compiles floor.c; returns the executable's path, or null (with the reason written) when gcc is missing or fails.</summary>
    public static string? Build()
    {
        string source = Path.Combine(AppContext.BaseDirectory, "floor.c");
        string folder = Directory.CreateTempSubdirectory("floorbench-").FullName;
        string executable = Path.Combine(folder, "floor");
        try
        {
            using Process gcc = Process.Start(new ProcessStartInfo("gcc", ["-O2", "-Wall", "-o", executable, source]) { UseShellExecute = false })!;
            gcc.WaitForExit();
            if (gcc.ExitCode != 0)
            {
                Console.WriteLine($"C floor skipped: gcc exited with code {gcc.ExitCode}.");
                return null;
            }
        }
        catch (System.ComponentModel.Win32Exception ex)
        {
            Console.WriteLine($"C floor skipped: gcc could not be started ({ex.Message}).");
            return null;
        }

        return executable;
    }

    /// <summary>Runs the C floor once with <paramref name="settings"/> and parses its RESULT line.</summary>
    public static async Task<Result> RunAsync(string executable, Settings settings)
    {
        using Process process = Process.Start(new ProcessStartInfo(executable, settings.CArguments()) { UseShellExecute = false, RedirectStandardOutput = true })!;
        string output = await process.StandardOutput.ReadToEndAsync();
        await process.WaitForExitAsync();
        string line = output.Split('\n').First(candidate => candidate.StartsWith("RESULT ", StringComparison.Ordinal));
        Dictionary<string, double> values = line[7..].Split(' ', StringSplitOptions.RemoveEmptyEntries)
            .Select(pair => pair.Split('='))
            .ToDictionary(pair => pair[0], pair => double.Parse(pair[1], CultureInfo.InvariantCulture), StringComparer.Ordinal);
        return new Result(
            values["rt64_us"],
            values["rt64_p10"],
            values["rt64_p90"],
            values["inflight_cps"],
            values["mbs64k"],
            values["mbs1m"],
            values["cpu_host_us"],
            values["cpu_child_us"],
            values["cpu_if_host_us"],
            values["cpu_if_child_us"],
            values["ctxsw_per_call"],
            values["idle_host_ms_s"],
            values["idle_child_ms_s"]);
    }
}
