using System.Runtime.InteropServices;

namespace PluginIpc;

/// <summary>
/// Flushes a folder's entries to disk on Linux and macOS (open the folder, fsync, close): after a rename, the new name is
/// durable only once its folder is. Windows has no such call for a folder (NTFS journals the rename).
/// </summary>
internal static partial class DirectorySync
{
    private const string LibC = "libc";
    private const int Eintr = 4;

    /// <summary>Flushes <paramref name="folder"/>'s entries; best effort.</summary>
    /// <returns>
    /// <see langword="true"/> if flushed; <see langword="false"/> if it could not be (not Unix, or the call failed; the
    /// rename still happened, only its durability through a power loss is not assured).
    /// </returns>
    public static bool TryFlush(string folder)
    {
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return false;
        }

        // O_RDONLY | O_CLOEXEC: a plugin process started meanwhile must not inherit the descriptor.
        int cloexec = OperatingSystem.IsMacOS() ? 0x01000000 : 0x80000;
        int fd;
        while ((fd = Open(folder, cloexec)) < 0 && Marshal.GetLastPInvokeError() == Eintr)
        {
        }

        if (fd < 0)
        {
            return false;
        }

        try
        {
            int result;
            while ((result = Fsync(fd)) < 0 && Marshal.GetLastPInvokeError() == Eintr)
            {
            }

            return result == 0;
        }
        finally
        {
            _ = Close(fd);
        }
    }

    [LibraryImport(LibC, EntryPoint = "open", SetLastError = true, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int Open(string path, int flags);

    [LibraryImport(LibC, EntryPoint = "fsync", SetLastError = true)]
    private static partial int Fsync(int fd);

    [LibraryImport(LibC, EntryPoint = "close", SetLastError = true)]
    private static partial int Close(int fd);
}
