using System.Collections.Concurrent;
using System.Diagnostics;

namespace PluginIpc.Benchmarks;

/// <summary>Finds the child executables the process benchmarks start, and makes sure none outlives the benchmark process.</summary>
internal static class ChildProcesses
{
    private static readonly ConcurrentDictionary<int, Process> s_running = new();

    static ChildProcesses() => AppDomain.CurrentDomain.ProcessExit += (_, _) => KillAll();

    /// <summary>Gets the <c>dotnet</c> host to run the children with <c>dotnet exec</c>: this process if it is one, else the SDK's, else the one on the PATH.</summary>
    public static string DotnetPath { get; } =
        Path.GetFileNameWithoutExtension(Environment.ProcessPath) == "dotnet" ? Environment.ProcessPath!
        : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } hostPath ? hostPath
        : "dotnet";

    /// <summary>
    /// Returns the path of <paramref name="assemblyName"/>.dll, an executable project the benchmark project references, so the
    /// build copies it (with its runtimeconfig.json) next to the benchmarks. BenchmarkDotNet runs the benchmarks from a
    /// project it generates in a folder below that output, so the folders above are searched too.
    /// </summary>
    public static string Locate(string assemblyName)
    {
        string fileName = assemblyName + ".dll";
        for (string? directory = Path.GetDirectoryName(typeof(ChildProcesses).Assembly.Location); directory is not null; directory = Path.GetDirectoryName(directory))
        {
            string candidate = Path.Combine(directory, fileName);
            if (File.Exists(candidate) && File.Exists(Path.Combine(directory, assemblyName + ".runtimeconfig.json")))
            {
                return candidate;
            }
        }

        throw new FileNotFoundException($"{fileName} was not found next to the benchmarks or in a folder above them; it is a ProjectReference of the benchmark project.", fileName);
    }

    /// <summary>Remembers <paramref name="process"/> so that it is killed if this process exits before <see cref="Forget"/>.</summary>
    public static void Track(Process process) => s_running[process.Id] = process;

    /// <summary>Kills <paramref name="process"/> if it still runs, and forgets it.</summary>
    public static void Kill(Process process)
    {
        s_running.TryRemove(process.Id, out _);
        KillQuietly(process);
    }

    /// <summary>Forgets a process that exited on its own.</summary>
    public static void Forget(int processId) => s_running.TryRemove(processId, out _);

    private static void KillAll()
    {
        foreach (Process process in s_running.Values)
        {
            KillQuietly(process);
        }
    }

    private static void KillQuietly(Process process)
    {
        try
        {
            process.Kill(entireProcessTree: true);
            process.WaitForExit(5_000);
        }
        catch (Exception ex) when (ex is InvalidOperationException or System.ComponentModel.Win32Exception or NotSupportedException)
        {
            // It already exited.
        }
    }
}
