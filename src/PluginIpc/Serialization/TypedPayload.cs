using System.Buffers;

namespace PluginIpc;

/// <summary>The buffers of typed calls: a value serialized with the peer's serializer, and the chunk handlers that read them.</summary>
internal static class TypedPayload
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    /// <summary>Serializes <paramref name="value"/> into a buffer of its own, which the call may hold until it is written.</summary>
    /// <remarks>Writes into a per-thread scratch buffer, then copies out exactly the bytes written: one small array per value.</remarks>
    public static ReadOnlyMemory<byte> Serialize<T>(IPluginSerializer serializer, T value)
    {
        ArrayBufferWriter<byte> scratch = t_scratch ??= new ArrayBufferWriter<byte>(256);
        scratch.ResetWrittenCount();
        try
        {
            serializer.Serialize(scratch, value);
            return scratch.WrittenSpan.ToArray();
        }
        finally
        {
            if (scratch.Capacity > MaxKeptScratch)
            {
                t_scratch = null; // a large value's buffer is not kept for the thread's lifetime
            }
        }
    }

    private const int MaxKeptScratch = 64 * 1024;

    /// <summary>Reads an answer; one that is not a <typeparamref name="T"/> is a broken contract between the two sides.</summary>
    /// <exception cref="ProtocolException">The answer is not a <typeparamref name="T"/> in the serializer's format.</exception>
    public static T ReadAnswer<T>(IPluginSerializer serializer, ReadOnlyMemory<byte> answer, IChunkPeer peer, string cmd)
    {
        try
        {
            return serializer.Deserialize<T>(answer);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ProtocolException(
                $"The answer to '{cmd}' on {peer.Name} ({answer.Length} bytes) is not a {typeof(T).Name} in the {serializer.Name} format: {ex.Message} Do both sides use the same contract and serializer?",
                ex);
        }
    }

    /// <summary>Returns a chunk handler that reads a <typeparamref name="TRequest"/>, runs <paramref name="handler"/> and answers its result.</summary>
    public static ChunkHandler Handler<TRequest, TResponse>(string cmd, Func<TRequest, CancellationToken, ValueTask<TResponse>> handler) =>
        async (chunk, peer, cancellationToken) =>
        {
            IPluginSerializer serializer = PluginSerializers.Resolve(peer.Serializer);
            TRequest request = ReadRequest<TRequest>(serializer, chunk, cmd);
            TResponse response = await handler(request, cancellationToken).ConfigureAwait(false);
            return Serialize(serializer, response);
        };

    /// <summary>Returns a chunk handler that reads a <typeparamref name="TMessage"/> and runs <paramref name="handler"/>; a request is answered empty.</summary>
    public static ChunkHandler Handler<TMessage>(string cmd, Func<TMessage, CancellationToken, ValueTask> handler) =>
        async (chunk, peer, cancellationToken) =>
        {
            TMessage message = ReadRequest<TMessage>(PluginSerializers.Resolve(peer.Serializer), chunk, cmd);
            await handler(message, cancellationToken).ConfigureAwait(false);
            return ReadOnlyMemory<byte>.Empty;
        };

    /// <exception cref="RemoteException">The buffer is not a <typeparamref name="T"/>: answered <see cref="ErrorCodes.InvalidRequest"/>.</exception>
    private static T ReadRequest<T>(IPluginSerializer serializer, Chunk chunk, string cmd)
    {
        try
        {
            return serializer.Deserialize<T>(chunk.Buffer);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new RemoteException(
                ErrorCodes.InvalidRequest,
                $"'{cmd}' expects a {typeof(T).Name} in the {serializer.Name} format; the {chunk.Buffer.Length} bytes sent are not one: {ex.Message}");
        }
    }
}
