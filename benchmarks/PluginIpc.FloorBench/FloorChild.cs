using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;

namespace PluginIpc.FloorBench;

/// <summary>
/// The child of the .NET floor: blocking reads and writes on its main thread, no library. It reads what the pipe has,
/// and writes back every complete frame it holds with one write (an echo's answer is its request), as floor.c does.
/// </summary>
internal static class FloorChild
{
    public static int Run()
    {
        using var input = new FileStream(new SafeFileHandle(int.Parse(Environment.GetEnvironmentVariable("FLOOR_IN_FD")!, CultureInfo.InvariantCulture), ownsHandle: true), FileAccess.Read, bufferSize: 0);
        using var output = new FileStream(new SafeFileHandle(int.Parse(Environment.GetEnvironmentVariable("FLOOR_OUT_FD")!, CultureInfo.InvariantCulture), ownsHandle: true), FileAccess.Write, bufferSize: 0);
        byte[] buffer = new byte[64 * 1024];
        int have = 0;
        while (true)
        {
            int read = input.Read(buffer, have, buffer.Length - have);
            if (read == 0)
            {
                return 0;
            }

            have += read;
            int end = 0;
            while (have - end >= 4)
            {
                int length = BinaryPrimitives.ReadInt32LittleEndian(buffer.AsSpan(end));
                if (have - end < 4 + length)
                {
                    if (4 + length > buffer.Length)
                    {
                        Array.Resize(ref buffer, 4 + length);
                    }

                    break;
                }

                end += 4 + length;
            }

            if (end > 0)
            {
                output.Write(buffer, 0, end);
                buffer.AsSpan(end, have - end).CopyTo(buffer);
                have -= end;
            }
        }
    }
}
