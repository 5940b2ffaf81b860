using System.ComponentModel;
using System.Runtime.InteropServices;
using System.Runtime.Versioning;

namespace PluginIpc;

/// <summary>The few libc calls that the plugin side needs to handle inherited descriptors (Linux and macOS only).</summary>
[SupportedOSPlatform("linux")]
[SupportedOSPlatform("macos")]
internal static partial class UnixNative
{
    private const string LibC = "libc";
    private const int Eintr = 4;
    private const short PollIn = 1;
    private const short PollOut = 4;

    /// <summary>
    /// The buffer PluginIpc asks for on the channel's pipes. Linux's default of 64 KiB cannot take a 64 KiB chunk and its
    /// header in one write: the writer blocks and both sides take turns, a dozen thread switches per round trip on one CPU
    /// where the larger pipe needs two. Linux counts these buffers against the user's <c>fs.pipe-user-pages-soft</c>
    /// (64 MiB by default): about 120 plugins at once reach it.
    /// </summary>
    public const int PipeBufferBytes = 256 * 1024;

    /// <summary>Returns whether <paramref name="fd"/> is a socket (as opposed to a pipe, a file or a terminal).</summary>
    /// <exception cref="IOException"><paramref name="fd"/> is not an open descriptor.</exception>
    public static unsafe bool IsSocket(int fd)
    {
        (int level, int option) = OperatingSystem.IsMacOS() ? (0xffff, 0x1008) : (1, 3); // SOL_SOCKET, SO_TYPE
        int type = 0;
        int length = sizeof(int);
        if (GetSockOpt(fd, level, option, &type, &length) == 0)
        {
            return true;
        }

        int errno = Marshal.GetLastPInvokeError();
        const int Enotsock = 88, EnotsockMac = 38, Ebadf = 9;
        if (errno == (OperatingSystem.IsMacOS() ? EnotsockMac : Enotsock))
        {
            return false;
        }

        throw Error(errno, errno == Ebadf ? $"Descriptor {fd} is not open." : $"Cannot inspect descriptor {fd}.");
    }

    /// <summary>Duplicates <paramref name="fd"/> to a new descriptor that child processes do not inherit (on macOS, they do).</summary>
    public static int Duplicate(int fd)
    {
        int result;
        do
        {
            // F_DUPFD_CLOEXEC. fcntl is variadic, which only Linux ABIs let us call like a fixed-argument function.
            result = OperatingSystem.IsLinux() ? Fcntl(fd, 1030, 3) : Dup(fd);
        }
        while (result < 0 && Marshal.GetLastPInvokeError() == Eintr);

        return result >= 0 ? result : throw Error(Marshal.GetLastPInvokeError(), $"Cannot duplicate descriptor {fd}.");
    }

    /// <summary>Makes <paramref name="target"/> refer to what <paramref name="source"/> refers to.</summary>
    public static void Redirect(int source, int target)
    {
        int result;
        do
        {
            result = Dup2(source, target);
        }
        while (result < 0 && Marshal.GetLastPInvokeError() == Eintr);

        if (result < 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), $"Cannot redirect descriptor {target} to {source}.");
        }
    }

    /// <summary>Keeps child processes from inheriting <paramref name="fd"/>; does nothing on macOS.</summary>
    public static void SetCloseOnExec(int fd)
    {
        // F_SETFD with FD_CLOEXEC; see Duplicate for why Linux only.
        if (OperatingSystem.IsLinux() && Fcntl(fd, 2, 1) < 0)
        {
            throw Error(Marshal.GetLastPInvokeError(), $"Cannot set close-on-exec on descriptor {fd}.");
        }
    }

    /// <summary>
    /// Grows the buffer of the pipe <paramref name="fd"/> to at least <see cref="PipeBufferBytes"/> on Linux; never shrinks
    /// it. Both sides call it on the channel's pipes. Best effort: <see langword="false"/> where the system refuses, where
    /// <paramref name="fd"/> is no pipe, and on other systems.
    /// </summary>
    public static bool TryGrowPipe(int fd)
    {
        const int SetPipeSize = 1031, GetPipeSize = 1032; // F_SETPIPE_SZ, F_GETPIPE_SZ
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        int current = Fcntl(fd, GetPipeSize, 0);
        return current >= PipeBufferBytes || (current > 0 && Fcntl(fd, SetPipeSize, PipeBufferBytes) >= 0);
    }

    /// <summary>Makes writes to <paramref name="handle"/>, a pipe's write end, return at once when the pipe is full (Linux only).</summary>
    /// <returns><see langword="false"/> on other systems and where the flag did not stick; the descriptor is then blocking as before.</returns>
    /// <remarks>
    /// The flag belongs to the open pipe, not the descriptor: only for pipe ends no other process writes through. Linux
    /// only: fcntl is variadic, and on macOS arm64 a fixed-argument call would pass the flags where fcntl does not look.
    /// </remarks>
    public static bool TrySetNonBlocking(SafeHandle handle)
    {
        const int GetFlags = 3, SetFlags = 4, NonBlocking = 0x800; // F_GETFL, F_SETFL, O_NONBLOCK
        if (!OperatingSystem.IsLinux())
        {
            return false;
        }

        int fd = (int)handle.DangerousGetHandle();
        int flags = Fcntl(fd, GetFlags, 0);
        if (flags < 0 || ((flags & NonBlocking) == 0 && Fcntl(fd, SetFlags, flags | NonBlocking) < 0))
        {
            return false;
        }

        return (Fcntl(fd, GetFlags, 0) & NonBlocking) != 0; // a blocking write would hold the read loop when the pipe is full
    }

    /// <summary>Writes what a non-blocking pipe takes of <paramref name="bytes"/> now.</summary>
    /// <returns>How many bytes it took: fewer than all, or none, when the pipe is full.</returns>
    /// <exception cref="IOException">The write failed, such as when the reading end is closed.</exception>
    public static unsafe int WriteNonBlocking(SafeHandle handle, ReadOnlySpan<byte> bytes)
    {
        const int Eagain = 11;
        int total = 0;
        fixed (byte* start = bytes)
        {
            while (total < bytes.Length)
            {
                nint result = Write(handle, start + total, (nuint)(bytes.Length - total));
                if (result >= 0)
                {
                    total += (int)result;
                    continue;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == Eintr)
                {
                    continue;
                }

                if (errno == Eagain)
                {
                    break;
                }

                throw Error(errno, "Cannot write to the pipe.");
            }
        }

        return total;
    }

    /// <summary>Writes what a non-blocking pipe takes of <paramref name="first"/> then <paramref name="second"/> now, in one system call when it takes both.</summary>
    /// <returns>How many bytes it took, counted from the start of <paramref name="first"/>: fewer than all, or none, when the pipe is full.</returns>
    /// <exception cref="IOException">The write failed, such as when the reading end is closed.</exception>
    public static unsafe int WriteNonBlocking(SafeHandle handle, ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
    {
        const int Eagain = 11;
        if (second.IsEmpty)
        {
            return WriteNonBlocking(handle, first); // a plain write costs the kernel less than a vector of one
        }

        fixed (byte* a = first)
        fixed (byte* b = second)
        {
            // One writev for both, so the reader wakes once, to the whole chunk; a partial write goes on with plain writes.
            IoVector* vectors = stackalloc IoVector[2];
            vectors[0] = new IoVector { Base = a, Length = (nuint)first.Length };
            vectors[1] = new IoVector { Base = b, Length = (nuint)second.Length };
            nint result;
            do
            {
                result = WriteVector(handle, vectors, 2);
            }
            while (result < 0 && Marshal.GetLastPInvokeError() == Eintr);

            if (result < 0)
            {
                int errno = Marshal.GetLastPInvokeError();
                return errno == Eagain ? 0 : throw Error(errno, "Cannot write to the pipe.");
            }

            int total = (int)result;
            if (total < first.Length)
            {
                total += WriteNonBlocking(handle, first[total..]);
                if (total < first.Length)
                {
                    return total;
                }
            }

            return total + WriteNonBlocking(handle, second[(total - first.Length)..]);
        }
    }

    /// <summary>Reads from <paramref name="handle"/> into <paramref name="buffer"/>, blocking until something arrives.</summary>
    /// <returns>How many bytes were read; 0 at the end of the input.</returns>
    /// <exception cref="IOException">The read failed.</exception>
    /// <remarks>
    /// Also blocks on a descriptor that another program made non-blocking (the flag belongs to the open pipe, which a host
    /// in another language may have set before handing it over): it waits in poll until the pipe is readable, then reads.
    /// </remarks>
    public static unsafe int Read(SafeHandle handle, Span<byte> buffer)
    {
        int wouldBlock = OperatingSystem.IsMacOS() ? 35 : 11; // EAGAIN
        fixed (byte* start = buffer)
        {
            while (true)
            {
                nint result = ReadCore(handle, start, (nuint)buffer.Length);
                if (result >= 0)
                {
                    return (int)result;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno == wouldBlock)
                {
                    WaitUntilReadable(handle);
                }
                else if (errno != Eintr)
                {
                    throw Error(errno, "Cannot read from the pipe.");
                }
            }
        }
    }

    /// <summary>Returns whether <paramref name="handle"/> has something to read, has reached its end, or failed, without waiting.</summary>
    public static bool HasInput(SafeHandle handle) => Poll(handle, timeoutMilliseconds: 0);

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> for a pipe's write end to have room, or for its reading end to close (the write that follows says which).</summary>
    public static bool WaitUntilWritable(SafeHandle handle, int timeoutMilliseconds) => Poll(handle, timeoutMilliseconds, PollOut);

    /// <summary>Blocks until <paramref name="handle"/> has something to read, has reached its end, or failed: the read that follows says which.</summary>
    private static void WaitUntilReadable(SafeHandle handle) => Poll(handle, timeoutMilliseconds: -1);

    /// <summary>Waits up to <paramref name="timeoutMilliseconds"/> (-1: without a limit) for <paramref name="handle"/> to be ready for <paramref name="events"/> (by default: something to read, its end), or to fail.</summary>
    private static unsafe bool Poll(SafeHandle handle, int timeoutMilliseconds, short events = PollIn)
    {
        bool added = false;
        try
        {
            handle.DangerousAddRef(ref added);
            var descriptor = new PollDescriptor { Fd = (int)handle.DangerousGetHandle(), Events = events }; // errors and hang-ups are always reported
            while (true)
            {
                int ready = PollCore(&descriptor, 1, timeoutMilliseconds);
                if (ready >= 0)
                {
                    return ready > 0;
                }

                int errno = Marshal.GetLastPInvokeError();
                if (errno != Eintr)
                {
                    throw Error(errno, "Cannot wait for the pipe.");
                }
            }
        }
        finally
        {
            if (added)
            {
                handle.DangerousRelease();
            }
        }
    }

    private static IOException Error(int errno, string message) =>
        new($"{message} {new Win32Exception(errno).Message}", new Win32Exception(errno));

    [LibraryImport(LibC, EntryPoint = "getsockopt", SetLastError = true)]
    private static unsafe partial int GetSockOpt(int socket, int level, int optionName, int* optionValue, int* optionLength);

    [LibraryImport(LibC, EntryPoint = "dup", SetLastError = true)]
    private static partial int Dup(int fd);

    [LibraryImport(LibC, EntryPoint = "dup2", SetLastError = true)]
    private static partial int Dup2(int fd, int target);

    [LibraryImport(LibC, EntryPoint = "read", SetLastError = true)]
    private static unsafe partial nint ReadCore(SafeHandle fd, byte* buffer, nuint count);

    [LibraryImport(LibC, EntryPoint = "write", SetLastError = true)]
    private static unsafe partial nint Write(SafeHandle fd, byte* buffer, nuint count);

    [LibraryImport(LibC, EntryPoint = "writev", SetLastError = true)]
    private static unsafe partial nint WriteVector(SafeHandle fd, IoVector* vectors, int count);

    [LibraryImport(LibC, EntryPoint = "poll", SetLastError = true)]
    private static unsafe partial int PollCore(PollDescriptor* descriptors, nuint count, int timeoutMilliseconds);

    /// <summary>Sends <paramref name="signal"/> to process <paramref name="pid"/>; returns whether it was sent.</summary>
    public static bool Kill(int pid, int signal) => KillCore(pid, signal) == 0;

    [LibraryImport(LibC, EntryPoint = "kill", SetLastError = true)]
    private static partial int KillCore(int pid, int signal);

    [LibraryImport(LibC, EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);

    /// <summary>The <c>struct iovec</c> of writev(2).</summary>
    [StructLayout(LayoutKind.Sequential)]
    private unsafe struct IoVector
    {
        public byte* Base;
        public nuint Length;
    }

    /// <summary>The <c>struct pollfd</c> of poll(2): the same layout on Linux and macOS.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private struct PollDescriptor
    {
        public int Fd;
        public short Events;
        public short ReturnedEvents;
    }
}
