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
        byte[] touch = new byte[1024 * int.Parse(Environment.GetEnvironmentVariable("FLOOR_TOUCH_KB") ?? "0", CultureInfo.InvariantCulture)];
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
                Touch(touch);
                output.Write(buffer, 0, end);
                buffer.AsSpan(end, have - end).CopyTo(buffer);
                have -= end;
            }
        }
    }

    /// <summary>Writes one byte per cache line of <paramref name="memory"/>: an experiment (FLOOR_TOUCH_KB) that gives the floor a library-sized working set per round trip.</summary>
    internal static void Touch(byte[] memory)
    {
        for (int i = 0; i < memory.Length; i += 64)
        {
            memory[i]++;
        }
    }
}
