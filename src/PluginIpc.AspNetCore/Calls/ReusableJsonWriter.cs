using System.Buffers;
using System.Text.Json;

namespace PluginIpc.AspNetCore.Calls;

/// <summary>
/// One <see cref="Utf8JsonWriter"/> and its buffer per thread, for the messages the gateway writes whole and returns as an
/// array: the only allocation per message is that array. Use: <see cref="Rent"/>, write, <see cref="ToArray"/>, and
/// <see cref="Return"/> in a finally block.
/// </summary>
internal static class ReusableJsonWriter
{
    // A buffer grown beyond this by a large message is dropped, not kept for the thread's lifetime.
    private const int MaxKeptBytes = 64 * 1024;

    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_buffer;

    [ThreadStatic]
    private static Utf8JsonWriter? t_writer;

    [ThreadStatic]
    private static bool t_inUse;

    /// <summary>Returns an empty writer on <paramref name="buffer"/>: this thread's own, or a new one while that one is in use.</summary>
    public static Utf8JsonWriter Rent(out ArrayBufferWriter<byte> buffer)
    {
        if (t_inUse)
        {
            buffer = new ArrayBufferWriter<byte>(256);
            return new Utf8JsonWriter(buffer);
        }

        t_inUse = true;
        buffer = t_buffer ??= new ArrayBufferWriter<byte>(256);
        buffer.ResetWrittenCount();
        if (t_writer is { } writer)
        {
            writer.Reset(buffer);
            return writer;
        }

        return t_writer = new Utf8JsonWriter(buffer);
    }

    /// <summary>Flushes <paramref name="writer"/> and returns what it wrote to <paramref name="buffer"/> as a new array.</summary>
    public static byte[] ToArray(Utf8JsonWriter writer, ArrayBufferWriter<byte> buffer)
    {
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    /// <summary>Gives back what <see cref="Rent"/> returned, written or not (a failure while writing included).</summary>
    public static void Return(Utf8JsonWriter writer, ArrayBufferWriter<byte> buffer)
    {
        if (!ReferenceEquals(writer, t_writer))
        {
            writer.Dispose();
            return;
        }

        if (buffer.Capacity > MaxKeptBytes)
        {
            t_buffer = null;
            t_writer = null;
            writer.Dispose();
        }
        else
        {
            buffer.ResetWrittenCount();
        }

        t_inUse = false;
    }
}
