using System.Buffers;
using System.Buffers.Binary;
using System.Text;
using System.Text.Unicode;

namespace PluginIpc;

/// <summary>Writes MessagePack values in their shortest encoding, straight into an <see cref="IBufferWriter{T}"/>.</summary>
/// <remarks>Nothing here allocates: headers go through <c>GetSpan</c>/<c>Advance</c>, and long payloads are copied in pieces.</remarks>
internal static class MessagePackWriter
{
    /// <summary>Writes an array header: fixarray, array 16 or array 32.</summary>
    public static void WriteArrayHeader(IBufferWriter<byte> writer, uint count) =>
        WriteContainerHeader(writer, count, MessagePackCode.MinFixArray, MessagePackCode.Array16, MessagePackCode.Array32);

    /// <summary>Writes a map header: fixmap, map 16 or map 32.</summary>
    public static void WriteMapHeader(IBufferWriter<byte> writer, uint count) =>
        WriteContainerHeader(writer, count, MessagePackCode.MinFixMap, MessagePackCode.Map16, MessagePackCode.Map32);

    /// <summary>Writes <c>nil</c>.</summary>
    public static void WriteNil(IBufferWriter<byte> writer)
    {
        writer.GetSpan(1)[0] = MessagePackCode.Nil;
        writer.Advance(1);
    }

    /// <summary>Writes an unsigned integer: positive fixint, uint 8, uint 16, uint 32 or uint 64.</summary>
    public static void WriteUInt64(IBufferWriter<byte> writer, ulong value)
    {
        Span<byte> span = writer.GetSpan(9);
        int written;
        if (value <= MessagePackCode.MaxPositiveFixInt)
        {
            span[0] = (byte)value;
            written = 1;
        }
        else if (value <= byte.MaxValue)
        {
            span[0] = MessagePackCode.UInt8;
            span[1] = (byte)value;
            written = 2;
        }
        else if (value <= ushort.MaxValue)
        {
            span[0] = MessagePackCode.UInt16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value);
            written = 3;
        }
        else if (value <= uint.MaxValue)
        {
            span[0] = MessagePackCode.UInt32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value);
            written = 5;
        }
        else
        {
            span[0] = MessagePackCode.UInt64;
            BinaryPrimitives.WriteUInt64BigEndian(span[1..], value);
            written = 9;
        }

        writer.Advance(written);
    }

    /// <summary>Writes <paramref name="value"/> as a str: fixstr, str 8, str 16 or str 32.</summary>
    public static void WriteString(IBufferWriter<byte> writer, string value) =>
        WriteString(writer, value, Encoding.UTF8.GetByteCount(value));

    /// <summary>Writes <paramref name="value"/> as a str whose UTF-8 length, <paramref name="byteCount"/>, is already known.</summary>
    public static void WriteString(IBufferWriter<byte> writer, string value, int byteCount)
    {
        Span<byte> span = writer.GetSpan(5);
        int headerLength;
        if (byteCount <= 31)
        {
            span[0] = (byte)(MessagePackCode.MinFixStr | byteCount);
            headerLength = 1;
        }
        else if (byteCount <= byte.MaxValue)
        {
            span[0] = MessagePackCode.Str8;
            span[1] = (byte)byteCount;
            headerLength = 2;
        }
        else if (byteCount <= ushort.MaxValue)
        {
            span[0] = MessagePackCode.Str16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)byteCount);
            headerLength = 3;
        }
        else
        {
            span[0] = MessagePackCode.Str32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)byteCount);
            headerLength = 5;
        }

        // Fast path: the header and the whole string fit in the span the writer already has.
        if (span.Length - headerLength >= byteCount)
        {
            Encoding.UTF8.GetBytes(value, span[headerLength..]);
            writer.Advance(headerLength + byteCount);
            return;
        }

        writer.Advance(headerLength);
        ReadOnlySpan<char> chars = value;
        int remaining = byteCount;
        while (!chars.IsEmpty)
        {
            // At least 4 bytes (one whole scalar) unless less is left, so every round makes progress.
            Span<byte> destination = writer.GetSpan(Math.Min(remaining, 4));
            Utf8.FromUtf16(chars, destination, out int charsRead, out int bytesWritten);
            chars = chars[charsRead..];
            remaining -= bytesWritten;
            writer.Advance(bytesWritten);
        }
    }

    /// <summary>Writes <paramref name="value"/> as a bin: bin 8, bin 16 or bin 32; empty is <c>c4 00</c>.</summary>
    public static void WriteBinary(IBufferWriter<byte> writer, ReadOnlySpan<byte> value)
    {
        Span<byte> span = writer.GetSpan(5);
        int length = value.Length;
        int headerLength;
        if (length <= byte.MaxValue)
        {
            span[0] = MessagePackCode.Bin8;
            span[1] = (byte)length;
            headerLength = 2;
        }
        else if (length <= ushort.MaxValue)
        {
            span[0] = MessagePackCode.Bin16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
            headerLength = 3;
        }
        else
        {
            span[0] = MessagePackCode.Bin32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
            headerLength = 5;
        }

        if (span.Length - headerLength >= length)
        {
            value.CopyTo(span[headerLength..]);
            writer.Advance(headerLength + length);
            return;
        }

        writer.Advance(headerLength);
        while (!value.IsEmpty)
        {
            Span<byte> destination = writer.GetSpan();
            int count = Math.Min(destination.Length, value.Length);
            value[..count].CopyTo(destination);
            writer.Advance(count);
            value = value[count..];
        }
    }

    private static void WriteContainerHeader(IBufferWriter<byte> writer, uint count, byte fixCode, byte code16, byte code32)
    {
        Span<byte> span = writer.GetSpan(5);
        if (count <= 15)
        {
            span[0] = (byte)(fixCode | count);
            writer.Advance(1);
        }
        else if (count <= ushort.MaxValue)
        {
            span[0] = code16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)count);
            writer.Advance(3);
        }
        else
        {
            span[0] = code32;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], count);
            writer.Advance(5);
        }
    }
}
