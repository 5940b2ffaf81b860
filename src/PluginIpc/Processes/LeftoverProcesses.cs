using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>
/// Finds and kills the processes a plugin left running when it exited: on Linux, every process whose environment holds the
/// launch's <see cref="LaunchVariables.Instance"/> value, which a plugin's descendants inherit.
/// </summary>
/// <remarks>
/// A process tree is only known while its root lives: once a plugin has exited, its children belong to init, and a child
/// that detached (a double fork, a new session) was never in the tree. The launch's mark finds them either way, unless
/// they cleared their environment. Other systems have no /proc to read: nothing is done there.
/// </remarks>
internal static class LeftoverProcesses
{
    private const int SigKill = 9;

    /// <summary>Returns a new mark for one launch: 128 random bits, as hex.</summary>
    public static string NewMark() => Convert.ToHexString(RandomNumberGenerator.GetBytes(16));

    /// <summary>Kills every process but this one whose environment holds <paramref name="mark"/>; logs those it killed.</summary>
    /// <param name="mark">The launch's mark.</param>
    /// <param name="pluginProcessId">The plugin process, for the log.</param>
    /// <param name="logger">Where the kills are logged.</param>
    public static void Kill(string mark, int pluginProcessId, ILogger logger)
    {
        if (!OperatingSystem.IsLinux())
        {
            return;
        }

        byte[] entry = Encoding.ASCII.GetBytes($"{LaunchVariables.Instance}={mark}");
        List<int>? killed = null;
        foreach (int pid in ProcessIds())
        {
            // Read before the kill, and the pid killed at once: a pid is reused only after its process is reaped, by init here.
            if (HasEntry(pid, entry) && UnixNative.Kill(pid, SigKill))
            {
                (killed ??= []).Add(pid);
            }
        }

        if (killed is not null)
        {
            ProcessesLog.LeftoversKilled(logger, pluginProcessId, killed.Count, string.Join(", ", killed));
        }
    }

    private static IEnumerable<int> ProcessIds()
    {
        int self = Environment.ProcessId;
        IEnumerable<string> entries;
        try
        {
            entries = Directory.EnumerateDirectories("/proc");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            yield break;
        }

        foreach (string directory in entries)
        {
            if (int.TryParse(Path.GetFileName(directory.AsSpan()), NumberStyles.None, CultureInfo.InvariantCulture, out int pid) && pid != self)
            {
                yield return pid;
            }
        }
    }

    /// <summary>Whether the environment of <paramref name="pid"/> has <paramref name="entry"/> as one of its NUL-separated entries.</summary>
    private static bool HasEntry(int pid, byte[] entry)
    {
        byte[] environment;
        try
        {
            environment = File.ReadAllBytes($"/proc/{pid}/environ");
        }
        catch (Exception exception) when (exception is IOException or UnauthorizedAccessException)
        {
            return false; // gone meanwhile, or another user's
        }

        ReadOnlySpan<byte> rest = environment;
        while (!rest.IsEmpty)
        {
            int end = rest.IndexOf((byte)0);
            ReadOnlySpan<byte> variable = end < 0 ? rest : rest[..end];
            if (variable.SequenceEqual(entry))
            {
                return true;
            }

            rest = end < 0 ? default : rest[(end + 1)..];
        }

        return false;
    }
}
