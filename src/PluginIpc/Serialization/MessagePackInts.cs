using System.Buffers;
using System.Buffers.Binary;

namespace PluginIpc;

/// <summary>
/// Writes the integers and array headers of contract messages in MessagePack's shortest forms, straight into the buffer: for
/// values this small, a <c>MessagePackWriter</c> costs several times the bytes it writes.
/// </summary>
internal static class MessagePackInts
{
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
}
