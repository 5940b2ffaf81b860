using System.Runtime.InteropServices;

namespace PluginIpc.FloorBench;

/// <summary>Gives the floor's pipes the buffer size PluginIpc gives its own (256 KiB, F_SETPIPE_SZ), so the floors are not handicapped by smaller pipes.</summary>
internal static partial class PipeSize
{
    /// <summary>The pipe buffer PluginIpc asks for on Linux (UnixNative.PipeBufferBytes).</summary>
    public const int Bytes = 256 * 1024;

    /// <summary>Sets the buffer of the pipe <paramref name="fd"/> to <see cref="Bytes"/>; returns the size the kernel set, or -1.</summary>
    public static int Grow(int fd) => Fcntl(fd, 1031, Bytes); // F_SETPIPE_SZ

    [LibraryImport("libc", EntryPoint = "fcntl", SetLastError = true)]
    private static partial int Fcntl(int fd, int command, int argument);
}
