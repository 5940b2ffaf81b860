using System.Net.Sockets;
using System.Runtime.InteropServices;

namespace PluginIpc.Tests.Processes;

/// <summary>Creates Unix socket pairs that child processes inherit, the way a Node.js host passes extra stdio.</summary>
internal static partial class NativeSockets
{
    /// <summary>Returns a connected pair of stream sockets; both descriptors are inheritable (no close-on-exec).</summary>
    public static (SafeSocketHandle Host, SafeSocketHandle Plugin) CreateInheritablePair()
    {
        const int AfUnix = 1, SockStream = 1;
        int[] fds = new int[2];
        if (SocketPair(AfUnix, SockStream, 0, fds) != 0)
        {
            throw new SocketException(Marshal.GetLastPInvokeError());
        }

        return (new SafeSocketHandle(fds[0], ownsHandle: true), new SafeSocketHandle(fds[1], ownsHandle: true));
    }

    [LibraryImport("libc", EntryPoint = "socketpair", SetLastError = true)]
    private static partial int SocketPair(int domain, int type, int protocol, [Out] int[] fds);
}
