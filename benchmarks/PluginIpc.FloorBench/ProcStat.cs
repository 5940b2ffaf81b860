using System.Globalization;

namespace PluginIpc.FloorBench;

/// <summary>CPU time and context switches of a process, all threads, from /proc.</summary>
internal static class ProcStat
{
    /// <summary>
    /// Returns the user + system CPU seconds of <paramref name="processId"/>, threads that ended included (/proc/pid/stat, 10 ms
    /// ticks; the phases it is read around last seconds). The per-thread schedstat sums are finer but lose ended threads.
    /// </summary>
    public static double CpuSeconds(int processId)
    {
        (double user, double system) = UserAndSystemSeconds(processId);
        return user + system;
    }

    /// <summary>Returns the user and the system CPU seconds of <paramref name="processId"/> (fields 14 and 15 of /proc/pid/stat, 10 ms ticks).</summary>
    public static (double User, double System) UserAndSystemSeconds(int processId)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{processId}/stat");
        }
        catch (IOException)
        {
            return (0, 0);
        }

        string[] fields = text[(text.LastIndexOf(')') + 2)..].Split(' ');
        return (long.Parse(fields[11], CultureInfo.InvariantCulture) / 100.0, long.Parse(fields[12], CultureInfo.InvariantCulture) / 100.0); // field 3 is fields[0]; USER_HZ = 100
    }

    /// <summary>Returns the minor page faults of <paramref name="processId"/> so far (field 10 of /proc/pid/stat): first touches of memory the process was given.</summary>
    public static long MinorFaults(int processId)
    {
        string text = File.ReadAllText($"/proc/{processId}/stat");
        return long.Parse(text[(text.LastIndexOf(')') + 2)..].Split(' ')[7], CultureInfo.InvariantCulture);
    }

    /// <summary>Returns the voluntary and involuntary context switches of every live thread of <paramref name="processId"/>.</summary>
    public static long ContextSwitches(int processId)
    {
        long total = 0;
        foreach (string task in Tasks(processId))
        {
            try
            {
                foreach (string line in File.ReadLines(Path.Combine(task, "status")))
                {
                    if (line.StartsWith("voluntary_ctxt_switches:", StringComparison.Ordinal) || line.StartsWith("nonvoluntary_ctxt_switches:", StringComparison.Ordinal))
                    {
                        total += long.Parse(line[(line.IndexOf(':', StringComparison.Ordinal) + 1)..].Trim(), CultureInfo.InvariantCulture);
                    }
                }
            }
            catch (IOException)
            {
                // The thread exited meanwhile.
            }
        }

        return total;
    }

    private static string[] Tasks(int processId)
    {
        try
        {
            return Directory.GetDirectories($"/proc/{processId}/task");
        }
        catch (IOException)
        {
            return [];
        }
    }
}
