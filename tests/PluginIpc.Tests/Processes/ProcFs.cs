using System.Globalization;

namespace PluginIpc.Tests.Processes;

/// <summary>Reads process state from <c>/proc</c> (Linux).</summary>
internal static class ProcFs
{
    private const int PfExiting = 0x4;

    /// <summary>Returns whether <paramref name="pid"/> is a process that has not begun to exit (zombies and exiting ones are dead).</summary>
    public static bool IsAlive(int pid)
    {
        string[]? fields = ReadStat(pid);
        if (fields is null)
        {
            return false;
        }

        // After "pid (comm)": [0] state, [1] ppid, ... [6] flags.
        char state = fields[0][0];
        uint flags = uint.Parse(fields[6], CultureInfo.InvariantCulture);
        return state is not ('Z' or 'X' or 'x') && (flags & PfExiting) == 0;
    }

    /// <summary>Returns the parent of <paramref name="pid"/>, or <see langword="null"/> if there is no such process.</summary>
    public static int? ParentOf(int pid) =>
        ReadStat(pid) is { } fields ? int.Parse(fields[1], CultureInfo.InvariantCulture) : null;

    /// <summary>Returns the pipe and socket inodes that <paramref name="pid"/> holds open.</summary>
    public static HashSet<string> PipeInodes(int pid)
    {
        var inodes = new HashSet<string>(StringComparer.Ordinal);
        foreach (string fd in Directory.GetFiles($"/proc/{pid}/fd"))
        {
            try
            {
                if (new FileInfo(fd).LinkTarget is { } target && (target.StartsWith("pipe:", StringComparison.Ordinal) || target.StartsWith("socket:", StringComparison.Ordinal)))
                {
                    inodes.Add(target);
                }
            }
            catch (IOException)
            {
                // Closed while we looked.
            }
        }

        return inodes;
    }

    /// <summary>Returns the number of descriptors the test process has open.</summary>
    public static int OpenDescriptorCount() => Directory.GetFiles("/proc/self/fd").Length;

    private static string[]? ReadStat(int pid)
    {
        string text;
        try
        {
            text = File.ReadAllText($"/proc/{pid}/stat");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return null;
        }

        // The command name may hold spaces and parentheses; the fields we want follow its last ')'.
        return text[(text.LastIndexOf(')') + 2)..].Split(' ');
    }
}
