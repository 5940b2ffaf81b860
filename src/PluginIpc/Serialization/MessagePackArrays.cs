using MessagePack;

namespace PluginIpc;

/// <summary>Finds the values of a MessagePack array without reading them, so each can be deserialized as its own type.</summary>
internal static class MessagePackArrays
{
    /// <summary>Finds the values of the array that is all of <paramref name="buffer"/>.</summary>
    /// <exception cref="FormatException">The bytes are not one array, or it has more values than <paramref name="items"/> holds.</exception>
    public static int Read(ReadOnlyMemory<byte> buffer, Span<Range> items)
    {
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
