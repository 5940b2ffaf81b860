using System.Buffers;

namespace PluginIpc.Contracts;

/// <summary>A contract stream's batch on the wire: <c>[streamId, [items...], done]</c>, in the serializer's format.</summary>
internal static class StreamBatch
{
    /// <summary>Writes a batch whose items are already serialized, with separators, in <paramref name="items"/>.</summary>
    public static ReadOnlyMemory<byte> Write(IPluginSerializer serializer, long id, ReadOnlySpan<byte> items, int count, bool done)
    {
        var reply = new ArrayBufferWriter<byte>(items.Length + 32);
        serializer.WriteArrayStart(reply, 3);
        serializer.Serialize(reply, id);
        serializer.WriteArraySeparator(reply);
        serializer.WriteArrayStart(reply, count);
        reply.Write(items);
        serializer.WriteArrayEnd(reply);
        serializer.WriteArraySeparator(reply);
        serializer.Serialize(reply, done);
        serializer.WriteArrayEnd(reply);
        return reply.WrittenMemory;
    }

    /// <summary>Reads a batch of at most <paramref name="window"/> items.</summary>
    /// <exception cref="ProtocolException">The answer is not a batch of <typeparamref name="T"/>, or it holds more items than were granted.</exception>
    public static (long Id, T[] Items, bool Done) Read<T>(IPluginSerializer serializer, ReadOnlyMemory<byte> buffer, int window, string cmd)
    {
        try
        {
            Span<Range> parts = stackalloc Range[3];
            if (serializer.ReadArray(buffer, parts) != 3)
            {
                throw new FormatException("A stream's batch is [streamId, items, done].");
            }

            long id = serializer.Deserialize<long>(buffer[parts[0]]);
            ReadOnlyMemory<byte> list = buffer[parts[1]];
            Range[] ranges = ArrayPool<Range>.Shared.Rent(window);
            try
            {
                int count = serializer.ReadArray(list, ranges.AsSpan(0, window));
                var items = new T[count];
                for (int i = 0; i < count; i++)
                {
                    items[i] = serializer.Deserialize<T>(list[ranges[i]]);
                }

                return (id, items, serializer.Deserialize<bool>(buffer[parts[2]]));
            }
            finally
            {
                ArrayPool<Range>.Shared.Return(ranges);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException and not ProtocolException)
        {
            throw new ProtocolException(
                $"A batch of the stream '{cmd}' ({buffer.Length} bytes) is not [streamId, at most {window} {typeof(T).Name} items, done] in the {serializer.Name} format: {ex.Message}",
                ex);
        }
    }
}
