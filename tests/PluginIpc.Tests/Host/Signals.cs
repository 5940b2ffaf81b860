using System.ComponentModel;
using System.Runtime.InteropServices;

namespace PluginIpc.Tests.Host;

/// <summary>Sends POSIX signals (Linux numbers) to processes, to freeze and thaw them.</summary>
internal static partial class Signals
{
    public const int Kill = 9;
    public const int Continue = 18;
    public const int Stop = 19;

    /// <summary>Sends <paramref name="signal"/> to <paramref name="pid"/>.</summary>
    /// <returns><see langword="false"/> if there is no such process.</returns>
    public static bool Send(int pid, int signal)
    {
        const int NoSuchProcess = 3; // ESRCH
        if (SysKill(pid, signal) == 0)
        {
            return true;
        }

        int error = Marshal.GetLastPInvokeError();
        return error == NoSuchProcess ? false : throw new Win32Exception(error);
    }

    [LibraryImport("libc", EntryPoint = "kill", SetLastError = true)]
    private static partial int SysKill(int pid, int signal);
}
