using System.Buffers.Binary;
using MessagePack;

namespace PluginIpc;

/// <summary>Finds the values of a MessagePack array without reading them, so each can be deserialized as its own type.</summary>
internal static class MessagePackArrays
{
    /// <summary>Finds the values of the array that is all of <paramref name="buffer"/>.</summary>
    /// <exception cref="FormatException">The bytes are not one array, or it has more values than <paramref name="items"/> holds.</exception>
    public static int Read(ReadOnlyMemory<byte> buffer, Span<Range> items)
    {
        if (TryReadDirect(buffer.Span, items, out int found))
        {
            return found;
        }

        // Malformed, cut short, too long, or a form the direct walk does not know: the reader finds out which and says so.
        var reader = new MessagePackReader(buffer);
        try
        {
            if (reader.NextMessagePackType != MessagePackType.Array)
            {
                throw new FormatException($"The MessagePack value is a {reader.NextMessagePackType}, not an array.");
            }

            int count = reader.ReadArrayHeader();
            if (count < 0)
            {
                throw new FormatException("The MessagePack array's length does not fit in an int.");
            }

            if (count > items.Length)
            {
                throw new FormatException($"The MessagePack array has {count} values, more than {items.Length}.");
            }

            for (int i = 0; i < count; i++)
            {
                int start = (int)reader.Consumed;
                Skip(ref reader);
                items[i] = start..(int)reader.Consumed;
            }

            if (!reader.End)
            {
                throw new FormatException("The MessagePack array does not end where the buffer ends.");
            }

            return count;
        }
        catch (MessagePackSerializationException ex)
        {
            throw new FormatException($"The MessagePack array is cut short or malformed: {ex.Message}", ex);
        }
        catch (EndOfStreamException ex)
        {
            throw new FormatException("The MessagePack array is cut short.", ex);
        }
    }

    /// <summary>
    /// Finds the values of a well-formed array by walking its bytes, with no reader: a contract call's arguments are split on
    /// every call, and a <c>MessagePackReader</c> costs more than the walk.
    /// </summary>
    /// <returns><see langword="false"/> for anything but one well-formed array that <paramref name="items"/> can hold.</returns>
    private static bool TryReadDirect(ReadOnlySpan<byte> buffer, Span<Range> items, out int count)
    {
        count = 0;
        if (buffer.IsEmpty)
        {
            return false;
        }

        int position;
        long length;
        byte code = buffer[0];
        if (code is >= 0x90 and <= 0x9f)
        {
            position = 1;
            length = code & 0x0f;
        }
        else if (code == 0xdc && buffer.Length >= 3)
        {
            position = 3;
            length = BinaryPrimitives.ReadUInt16BigEndian(buffer[1..]);
        }
        else if (code == 0xdd && buffer.Length >= 5)
        {
            position = 5;
            length = BinaryPrimitives.ReadUInt32BigEndian(buffer[1..]);
        }
        else
        {
            return false;
        }

        if (length > items.Length)
        {
            return false;
        }

        for (int i = 0; i < (int)length; i++)
        {
            int start = position;
            if (!TrySkipDirect(buffer, ref position))
            {
                return false;
            }

            items[i] = start..position;
        }

        count = (int)length;
        return position == buffer.Length;
    }

    /// <summary>Skips one value, however deep, without recursion; each value takes at least a byte, so a peer's claimed lengths end the loop with the buffer.</summary>
    private static bool TrySkipDirect(ReadOnlySpan<byte> buffer, ref int position)
    {
        long left = 1;
        long at = position;
        while (left > 0)
        {
            left--;
            if (at >= buffer.Length)
            {
                return false;
            }

            byte code = buffer[(int)at];
            ReadOnlySpan<byte> rest = buffer[((int)at + 1)..];
            long size; // the value's bytes, its code included, not counting the values it contains
            switch (code)
            {
                case <= 0x7f or >= 0xe0 or 0xc0 or 0xc2 or 0xc3: // fixint, nil, false, true
                    size = 1;
                    break;
                case <= 0x8f: // fixmap
                    size = 1;
                    left += 2 * (code & 0x0f);
                    break;
                case <= 0x9f: // fixarray
                    size = 1;
                    left += code & 0x0f;
                    break;
                case <= 0xbf: // fixstr
                    size = 1 + (code & 0x1f);
                    break;
                case 0xcc or 0xd0:
                    size = 2;
                    break;
                case 0xcd or 0xd1:
                    size = 3;
                    break;
                case 0xca or 0xce or 0xd2:
                    size = 5;
                    break;
                case 0xcb or 0xcf or 0xd3:
                    size = 9;
                    break;
                case 0xd4:
                    size = 3; // fixext 1: code, type, 1 byte
                    break;
                case 0xd5:
                    size = 4;
                    break;
                case 0xd6:
                    size = 6;
                    break;
                case 0xd7:
                    size = 10;
                    break;
                case 0xd8:
                    size = 18;
                    break;
                case (0xc4 or 0xd9) when rest.Length >= 1: // bin 8, str 8
                    size = 2 + rest[0];
                    break;
                case (0xc5 or 0xda) when rest.Length >= 2:
                    size = 3 + BinaryPrimitives.ReadUInt16BigEndian(rest);
                    break;
                case (0xc6 or 0xdb) when rest.Length >= 4:
                    size = 5 + (long)BinaryPrimitives.ReadUInt32BigEndian(rest);
                    break;
                case 0xc7 when rest.Length >= 1: // ext 8: code, length, type, data
                    size = 3 + rest[0];
                    break;
                case 0xc8 when rest.Length >= 2:
                    size = 4 + BinaryPrimitives.ReadUInt16BigEndian(rest);
                    break;
                case 0xc9 when rest.Length >= 4:
                    size = 6 + (long)BinaryPrimitives.ReadUInt32BigEndian(rest);
                    break;
                case 0xdc when rest.Length >= 2:
                    size = 3;
                    left += BinaryPrimitives.ReadUInt16BigEndian(rest);
                    break;
                case 0xdd when rest.Length >= 4:
                    size = 5;
                    left += BinaryPrimitives.ReadUInt32BigEndian(rest);
                    break;
                case 0xde when rest.Length >= 2:
                    size = 3;
                    left += 2L * BinaryPrimitives.ReadUInt16BigEndian(rest);
                    break;
                case 0xdf when rest.Length >= 4:
                    size = 5;
                    left += 2L * BinaryPrimitives.ReadUInt32BigEndian(rest);
                    break;
                default:
                    return false; // 0xc1, which is never used, or a header cut short
            }

            at += size;
            if (at > buffer.Length)
            {
                return false;
            }
        }

        position = (int)at;
        return true;
    }

    /// <summary>Skips one value, however deep, without recursion: a peer's deeply nested value cannot overflow the stack.</summary>
    private static void Skip(ref MessagePackReader reader)
    {
        long left = 1; // values still to skip; each takes at least a byte, so the loop ends with the buffer
        while (left > 0)
        {
            left--;
            switch (reader.NextMessagePackType)
            {
                case MessagePackType.Array:
                    left += NonNegative(reader.ReadArrayHeader());
                    break;
                case MessagePackType.Map:
                    left += 2L * NonNegative(reader.ReadMapHeader());
                    break;
                default:
                    reader.Skip();
                    break;
            }
        }
    }

    private static int NonNegative(int count) =>
        count >= 0 ? count : throw new FormatException("A MessagePack length does not fit in an int.");
}
