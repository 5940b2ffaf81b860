using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>
/// Finds and kills the processes a plugin left running when it exited: on Linux, every process started since the plugin
/// whose environment holds the launch's <see cref="LaunchVariables.Instance"/> entry, which a plugin's descendants inherit.
/// </summary>
/// <remarks>
/// A process tree is only known while its root lives: once a plugin has exited, its children belong to init (or a
/// subreaper), and a child that detached itself was never in the tree. The mark finds them either way; /proc/[pid]/environ
/// shows the environment a process was started with, so only one that ran a program with a new environment escapes.
/// Only processes started since the plugin are read (their start time first, from /proc/[pid]/stat): reading another
/// process's environment can block while that process is stuck in the kernel, so the sweep runs on a thread of its own and
/// nobody waits for it long. Other systems have no /proc: nothing is done there.
/// </remarks>
internal static class LeftoverProcesses
{
    private const int SigKill = 9;
    private const int MaxPasses = 3; // a leftover may start another while the scan runs; the next pass finds it

    /// <summary>Returns a new mark's value for a launch: 128 random bits, as hex.</summary>
    public static string NewMarkValue() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>Returns the mark of the launch of <paramref name="processId"/>, just started with <paramref name="value"/> in its environment.</summary>
    public static LaunchMark MarkOf(string value, int processId) =>
        new(value, processId, StartTicks(processId) ?? StartTicks(Environment.ProcessId) ?? 0); // gone already: since the host started

    /// <summary>
    /// Kills, on a thread of its own, the processes left by the launches of <paramref name="marks"/>, and logs them; the task
    /// completes when the sweep has ended and never fails.
    /// </summary>
    public static Task KillAsync(IReadOnlyList<LaunchMark> marks, ILogger logger)
    {
        if (!OperatingSystem.IsLinux() || marks.Count == 0)
        {
            return Task.CompletedTask;
        }

        return Task.Factory.StartNew(() => Kill(marks, logger), CancellationToken.None, TaskCreationOptions.LongRunning, TaskScheduler.Default);
    }

    private static void Kill(IReadOnlyList<LaunchMark> marks, ILogger logger)
    {
        if (!OperatingSystem.IsLinux())
        {
            return; // checked by the caller too; the analyzer does not see into the lambda
        }

        try
        {
            byte[][] entries = [.. marks.Select(m => Encoding.ASCII.GetBytes($"{LaunchVariables.Instance}={m.Value}"))];
            long since = marks.Min(m => m.StartTicks);
            var killed = new List<int>[marks.Count];
            for (int pass = 0; pass < MaxPasses; pass++)
            {
                bool any = false;
                foreach (int pid in ProcessIds())
                {
                    if (StartTicks(pid) is not { } started || started < since || ReadEnvironment(pid) is not { } environment)
                    {
                        continue;
                    }

                    for (int i = 0; i < marks.Count; i++)
                    {
                        // The start time again just before the kill: a pid reused since it was read is not the process read.
                        if (started >= marks[i].StartTicks && HasEntry(environment, entries[i])
                            && StartTicks(pid) == started && UnixNative.Kill(pid, SigKill))
                        {
                            (killed[i] ??= []).Add(pid);
                            any = true;
                            break;
                        }
                    }
                }

                if (!any)
                {
                    break;
                }
            }

            for (int i = 0; i < marks.Count; i++)
            {
                if (killed[i] is { } pids)
                {
                    ProcessesLog.LeftoversKilled(logger, marks[i].ProcessId, pids.Count, string.Join(", ", pids));
                }
            }
        }
#pragma warning disable CA1031 // A sweep that fails (a logger already disposed, /proc unreadable) must not fail its plugin's exit.
        catch (Exception exception)
#pragma warning restore CA1031
        {
            try
            {
                ProcessesLog.LeftoverSweepFailed(logger, exception);
            }
#pragma warning disable CA1031
            catch (Exception)
#pragma warning restore CA1031
            {
            }
        }
    }

    private static IEnumerable<int> ProcessIds()
    {
        int self = Environment.ProcessId;
        foreach (string directory in Directory.EnumerateDirectories("/proc"))
        {
            if (int.TryParse(Path.GetFileName(directory.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != self)
            {
                yield return pid;
            }
        }
    }

    /// <summary>Returns the start time of <paramref name="pid"/> in clock ticks since boot, or <see langword="null"/> if it is gone.</summary>
    private static long? StartTicks(int pid)
    {
        string stat;
        try
        {
            stat = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // "pid (comm) state ppid ...": comm may hold spaces and parentheses, so fields count from the last ')'; starttime is
        // field 22, the 20th after it.
        ReadOnlySpan<char> rest = stat.AsSpan(stat.LastIndexOf(')') + 1);
        int field = 0;
        foreach (Range range in rest.Split(' '))
        {
            ReadOnlySpan<char> value = rest[range];
            if (value.IsEmpty)
            {
                continue;
            }

            if (++field == 20)
            {
                return long.TryParse(value, NumberStyles.None, CultureInfo.InvariantCulture, out long ticks) ? ticks : null;
            }
        }

        return null;
    }

    private static byte[]? ReadEnvironment(int pid)
    {
        try
        {
            return File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null; // gone meanwhile, or another user's
        }
    }

    /// <summary>Whether <paramref name="environment"/> (NUL-separated entries) has <paramref name="entry"/> as one of them.</summary>
    private static bool HasEntry(ReadOnlySpan<byte> environment, ReadOnlySpan<byte> entry)
    {
        while (!environment.IsEmpty)
        {
            int end = environment.IndexOf((byte)0);
            if ((end < 0 ? environment : environment[..end]).SequenceEqual(entry))
            {
                return true;
            }

            environment = end < 0 ? default : environment[(end + 1)..];
        }

        return false;
    }
}
