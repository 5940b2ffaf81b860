namespace PluginIpc.Contracts;

/// <summary>The consumer's messages about a contract stream: <c>cmd.stream.next</c> <c>[streamId, window]</c> and <c>cmd.stream.end</c> <c>[streamId]</c>.</summary>
internal static class StreamMessages
{
    public static ReadOnlyMemory<byte> Next(IPluginSerializer serializer, long id, int window) => SerializerArrays.Of(serializer, id, window);

    public static ReadOnlyMemory<byte> End(IPluginSerializer serializer, long id) => SerializerArrays.Of(serializer, id);

    /// <summary>Reads the values of a stream message, which must be <paramref name="values"/>.Length long, or answers <see cref="ErrorCodes.InvalidRequest"/>.</summary>
    public static void Read(IPluginSerializer serializer, Chunk chunk, Span<long> values)
    {
        try
        {
            Span<Range> parts = stackalloc Range[2];
            if (serializer.ReadArray(chunk.Buffer, parts) != values.Length)
            {
                throw new FormatException($"it is not an array of {values.Length}");
            }

            for (int i = 0; i < values.Length; i++)
            {
                values[i] = serializer.Deserialize<long>(chunk.Buffer[parts[i]]);
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new RemoteException(ErrorCodes.InvalidRequest, $"'{chunk.Cmd}' takes {(values.Length == 2 ? "[streamId, window]" : "[streamId]")} in the {serializer.Name} format; the {chunk.Buffer.Length} bytes sent are not that: {ex.Message}");
        }
    }
}
