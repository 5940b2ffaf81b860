using System.Buffers;
using System.Buffers.Binary;

namespace PluginIpc;

/// <summary>
/// Reads and writes the integers, array headers and byte strings of contract messages in their common MessagePack forms,
/// straight from and into the buffer: a <c>MessagePackReader</c> or <c>MessagePackWriter</c> costs more than such values.
/// Anything else is left to MessagePack-CSharp, which reads it, or reports why not, as always.
/// </summary>
internal static class MessagePackScalars
{
    /// <summary>Byte strings longer than this are written by MessagePack-CSharp, which does not ask the writer for one span that holds them.</summary>
    public const int MaxDirectBinaryBytes = 64 * 1024;

    private const byte Nil = 0xc0;
    private const byte Bin8 = 0xc4;
    private const byte Bin16 = 0xc5;
    private const byte Bin32 = 0xc6;

    /// <summary>Writes <paramref name="value"/> as MessagePack-CSharp does: the shortest form that holds it.</summary>
    public static void Write(IBufferWriter<byte> writer, int value)
    {
        Span<byte> span = writer.GetSpan(5);
        int written;
        if (value >= 0)
        {
            if (value <= 0x7f)
            {
                span[0] = (byte)value; // positive fixint
                written = 1;
            }
            else if (value <= byte.MaxValue)
            {
                span[0] = 0xcc;
                span[1] = (byte)value;
                written = 2;
            }
            else if (value <= ushort.MaxValue)
            {
                span[0] = 0xcd;
                BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)value);
                written = 3;
            }
            else
            {
                span[0] = 0xce;
                BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)value);
                written = 5;
            }
        }
        else if (value >= -32)
        {
            span[0] = unchecked((byte)value); // negative fixint
            written = 1;
        }
        else if (value >= sbyte.MinValue)
        {
            span[0] = 0xd0;
            span[1] = unchecked((byte)value);
            written = 2;
        }
        else if (value >= short.MinValue)
        {
            span[0] = 0xd1;
            BinaryPrimitives.WriteInt16BigEndian(span[1..], (short)value);
            written = 3;
        }
        else
        {
            span[0] = 0xd2;
            BinaryPrimitives.WriteInt32BigEndian(span[1..], value);
            written = 5;
        }

        writer.Advance(written);
    }

    /// <summary>Writes the header of an array of <paramref name="length"/> values.</summary>
    public static void WriteArrayHeader(IBufferWriter<byte> writer, int length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        Span<byte> span = writer.GetSpan(5);
        if (length <= 15)
        {
            span[0] = (byte)(0x90 | length); // fixarray
            writer.Advance(1);
        }
        else if (length <= ushort.MaxValue)
        {
            span[0] = 0xdc;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
            writer.Advance(3);
        }
        else
        {
            span[0] = 0xdd;
            BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
            writer.Advance(5);
        }
    }

    /// <summary>Reads an integer that fits in an int, in any of MessagePack's integer forms.</summary>
    /// <returns><see langword="false"/> if the value is anything else, or cut short: MessagePack-CSharp then says what is wrong.</returns>
    public static bool TryReadInt32(ReadOnlySpan<byte> buffer, out int value)
    {
        if (TryReadInt64(buffer, out long wide) && wide is >= int.MinValue and <= int.MaxValue)
        {
            value = (int)wide;
            return true;
        }

        value = 0;
        return false;
    }

    /// <summary>Reads an integer that fits in a long, in any of MessagePack's integer forms.</summary>
    /// <returns><see langword="false"/> if the value is anything else, or cut short: MessagePack-CSharp then says what is wrong.</returns>
    public static bool TryReadInt64(ReadOnlySpan<byte> buffer, out long value)
    {
        value = 0;
        if (buffer.IsEmpty)
        {
            return false;
        }

        byte code = buffer[0];
        if (code <= 0x7f || code >= 0xe0)
        {
            value = (sbyte)code; // positive or negative fixint
            return true;
        }

        ReadOnlySpan<byte> rest = buffer[1..];
        switch (code)
        {
            case 0xcc when rest.Length >= 1:
                value = rest[0];
                return true;
            case 0xcd when rest.Length >= 2:
                value = BinaryPrimitives.ReadUInt16BigEndian(rest);
                return true;
            case 0xce when rest.Length >= 4:
                value = BinaryPrimitives.ReadUInt32BigEndian(rest);
                return true;
            case 0xcf when rest.Length >= 8 && BinaryPrimitives.ReadUInt64BigEndian(rest) <= long.MaxValue:
                value = (long)BinaryPrimitives.ReadUInt64BigEndian(rest);
                return true;
            case 0xd0 when rest.Length >= 1:
                value = (sbyte)rest[0];
                return true;
            case 0xd1 when rest.Length >= 2:
                value = BinaryPrimitives.ReadInt16BigEndian(rest);
                return true;
            case 0xd2 when rest.Length >= 4:
                value = BinaryPrimitives.ReadInt32BigEndian(rest);
                return true;
            case 0xd3 when rest.Length >= 8:
                value = BinaryPrimitives.ReadInt64BigEndian(rest);
                return true;
            default:
                return false;
        }
    }

    /// <summary>Writes <paramref name="bytes"/> as MessagePack-CSharp does (nil for <see langword="null"/>, else bin 8, 16 or 32).</summary>
    public static void WriteBinary(IBufferWriter<byte> writer, byte[]? bytes)
    {
        if (bytes is null)
        {
            writer.GetSpan(1)[0] = Nil;
            writer.Advance(1);
            return;
        }

        WriteBinary(writer, bytes.AsSpan());
    }

    /// <summary>Writes <paramref name="bytes"/> as bin 8, 16 or 32, as MessagePack-CSharp does; at most <see cref="MaxDirectBinaryBytes"/>.</summary>
    public static void WriteBinary(IBufferWriter<byte> writer, ReadOnlySpan<byte> bytes)
    {
        int length = bytes.Length;
        int header = length <= byte.MaxValue ? 2 : length <= ushort.MaxValue ? 3 : 5;
        Span<byte> span = writer.GetSpan(header + length);
        switch (header)
        {
            case 2:
                span[0] = Bin8;
                span[1] = (byte)length;
                break;
            case 3:
                span[0] = Bin16;
                BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
                break;
            default:
                span[0] = Bin32;
                BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
                break;
        }

        bytes.CopyTo(span[header..]);
        writer.Advance(header + length);
    }

    /// <summary>Finds the bytes of a bin 8, 16 or 32 value, or nil, in <paramref name="buffer"/>, without copying them.</summary>
    /// <param name="buffer">The value.</param>
    /// <param name="bytes">The bytes, a slice of <paramref name="buffer"/>; empty for nil.</param>
    /// <param name="isNil">Whether the value is nil.</param>
    /// <returns><see langword="false"/> if the value is anything else, or cut short: MessagePack-CSharp then says what is wrong.</returns>
    public static bool TryReadBinary(ReadOnlyMemory<byte> buffer, out ReadOnlyMemory<byte> bytes, out bool isNil)
    {
        bytes = default;
        isNil = false;
        ReadOnlySpan<byte> span = buffer.Span;
        if (span.IsEmpty)
        {
            return false;
        }

        int header;
        long length;
        switch (span[0])
        {
            case Nil:
                isNil = true;
                return true;
            case Bin8 when span.Length >= 2:
                header = 2;
                length = span[1];
                break;
            case Bin16 when span.Length >= 3:
                header = 3;
                length = BinaryPrimitives.ReadUInt16BigEndian(span[1..]);
                break;
            case Bin32 when span.Length >= 5:
                header = 5;
                length = BinaryPrimitives.ReadUInt32BigEndian(span[1..]);
                break;
            default:
                return false;
        }

        if (length > span.Length - header)
        {
            return false; // cut short: the general path reports it
        }

        bytes = buffer.Slice(header, (int)length);
        return true;
    }
}
