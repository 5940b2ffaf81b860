using System.Buffers;
using System.Runtime.CompilerServices;

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
        ArrayBufferWriter<byte> scratch = RentScratch();
        try
        {
            serializer.Serialize(scratch, value);
        }
        catch
        {
            CopyOut(scratch);
            throw;
        }

        return CopyOut(scratch);
    }

    /// <summary>
    /// Serializes <paramref name="value"/> into a <see cref="PooledBody"/>, for a request or answer that goes to one of the
    /// library's channels, which hands the array back once it has framed it. Nothing else may hold the result.
    /// </summary>
    public static ReadOnlyMemory<byte> SerializeForChannel<T>(IPluginSerializer serializer, T value)
    {
        ArrayBufferWriter<byte> scratch = RentScratch();
        try
        {
            serializer.Serialize(scratch, value);
            return CopyOutForChannel(scratch);
        }
        catch
        {
            CopyOut(scratch);
            throw;
        }
    }

    /// <summary>Copies out what <paramref name="scratch"/> holds into a <see cref="PooledBody"/> (see <see cref="SerializeForChannel"/>), as <see cref="CopyOut"/> does into an array.</summary>
    public static ReadOnlyMemory<byte> CopyOutForChannel(ArrayBufferWriter<byte> scratch)
    {
        ReadOnlyMemory<byte> body = PooledBody.CopyOf(scratch.WrittenSpan);
        if (scratch.Capacity > MaxKeptScratch)
        {
            t_scratch = null;
        }

        return body;
    }

    /// <summary>Returns this thread's scratch buffer, empty. Nothing else on the thread may use it until <see cref="CopyOut"/>.</summary>
    public static ArrayBufferWriter<byte> RentScratch()
    {
        ArrayBufferWriter<byte> scratch = t_scratch ??= new ArrayBufferWriter<byte>(256);
        scratch.ResetWrittenCount();
        return scratch;
    }

    /// <summary>Copies out what <paramref name="scratch"/> holds, and lets a large scratch buffer go rather than keep it for the thread's lifetime.</summary>
    public static byte[] CopyOut(ArrayBufferWriter<byte> scratch)
    {
        byte[] copy = scratch.WrittenSpan.ToArray();
        if (scratch.Capacity > MaxKeptScratch)
        {
            t_scratch = null;
        }

        return copy;
    }

    private const int MaxKeptScratch = 64 * 1024;

    // Most handlers answer at once: those are answered with no state machine.

    /// <summary>Answers empty once <paramref name="done"/> has completed.</summary>
    public static ValueTask<ReadOnlyMemory<byte>> Answer(Task done) =>
        done.IsCompletedSuccessfully ? default : AnswerAsync(done);

    /// <summary>Answers empty once <paramref name="done"/> has completed.</summary>
    public static ValueTask<ReadOnlyMemory<byte>> Answer(ValueTask done) =>
        done.IsCompletedSuccessfully ? default : AnswerAsync(done.AsTask());

    /// <summary>Answers <paramref name="result"/>'s value, serialized, once it has completed.</summary>
    /// <param name="result">The handler's result.</param>
    /// <param name="serializer">The peer's serializer.</param>
    /// <param name="toLibraryPeer">Whether the answer goes to one of the library's peers, whose channel hands a pooled body back (see <see cref="SerializeForChannel"/>); another peer gets an array it may keep.</param>
    public static ValueTask<ReadOnlyMemory<byte>> Answer<TResult>(Task<TResult> result, IPluginSerializer serializer, bool toLibraryPeer) =>
        result.IsCompletedSuccessfully ? new(SerializeAnswer(serializer, result.Result, toLibraryPeer)) : AnswerAsync(result, serializer, toLibraryPeer);

    /// <inheritdoc cref="Answer{TResult}(Task{TResult}, IPluginSerializer, bool)"/>
    public static ValueTask<ReadOnlyMemory<byte>> Answer<TResult>(ValueTask<TResult> result, IPluginSerializer serializer, bool toLibraryPeer) =>
        result.IsCompletedSuccessfully ? new(SerializeAnswer(serializer, result.Result, toLibraryPeer)) : AnswerAsync(result.AsTask(), serializer, toLibraryPeer);

    /// <summary>Whether <paramref name="peer"/> is one of the library's own (a channel, a plugin or a plugin side), whose channel hands pooled bodies back once framed.</summary>
    public static bool IsLibraryPeer(IChunkPeer peer) => peer is IChunkCallShortcuts;

    private static ReadOnlyMemory<byte> SerializeAnswer<TResult>(IPluginSerializer serializer, TResult value, bool toLibraryPeer) =>
        toLibraryPeer ? SerializeForChannel(serializer, value) : Serialize(serializer, value);

    private static async ValueTask<ReadOnlyMemory<byte>> AnswerAsync(Task done)
    {
        await done.ConfigureAwait(false);
        return ReadOnlyMemory<byte>.Empty;
    }

    private static async ValueTask<ReadOnlyMemory<byte>> AnswerAsync<TResult>(Task<TResult> result, IPluginSerializer serializer, bool toLibraryPeer) =>
        SerializeAnswer(serializer, await result.ConfigureAwait(false), toLibraryPeer);

    /// <summary>Reads an answer; one that is not a <typeparamref name="T"/> is a broken contract between the two sides.</summary>
    /// <exception cref="ProtocolException">The answer is not a <typeparamref name="T"/> in the serializer's format.</exception>
    public static T ReadAnswer<T>(IPluginSerializer serializer, ReadOnlyMemory<byte> answer, string peerName, string cmd)
    {
        try
        {
            return ReadReceived<T>(serializer, answer);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ProtocolException(
                $"The answer to '{cmd}' on {peerName} ({answer.Length} bytes) is not a {typeof(T).Name} in the {serializer.Name} format: {ex.Message} Do both sides use the same contract and serializer?",
                ex);
        }
    }

    /// <summary>Reads a <typeparamref name="T"/> from a received chunk's bytes: a <see cref="ReadOnlyMemory{T}"/> of bytes is a slice of them, not a copy, where the format allows.</summary>
    /// <remarks>A chunk's buffer never changes once received, so the slice stays valid; it keeps the buffer alive while it is held.</remarks>
    public static T ReadReceived<T>(IPluginSerializer serializer, ReadOnlyMemory<byte> buffer)
    {
        if (typeof(T) == typeof(ReadOnlyMemory<byte>) && serializer is MessagePackPluginSerializer messagePack && messagePack.TryReadBinaryInPlace(buffer, out ReadOnlyMemory<byte> bytes))
        {
            return Unsafe.As<ReadOnlyMemory<byte>, T>(ref bytes);
        }

        return serializer.Deserialize<T>(buffer);
    }

    /// <summary>Returns a chunk handler that reads a <typeparamref name="TRequest"/>, runs <paramref name="handler"/> and answers its result.</summary>
    public static ChunkHandler Handler<TRequest, TResponse>(string cmd, Func<TRequest, CancellationToken, ValueTask<TResponse>> handler) =>
        (chunk, peer, cancellationToken) =>
        {
            IPluginSerializer serializer = PluginSerializers.Resolve(peer.Serializer);
            return Answer(handler(ReadRequest<TRequest>(serializer, chunk, cmd), cancellationToken), serializer, IsLibraryPeer(peer));
        };

    /// <summary>Returns a chunk handler that reads a <typeparamref name="TMessage"/> and runs <paramref name="handler"/>; a request is answered empty.</summary>
    public static ChunkHandler Handler<TMessage>(string cmd, Func<TMessage, CancellationToken, ValueTask> handler) =>
        (chunk, peer, cancellationToken) => Answer(handler(ReadRequest<TMessage>(PluginSerializers.Resolve(peer.Serializer), chunk, cmd), cancellationToken));

    /// <exception cref="RemoteException">The buffer is not a <typeparamref name="T"/>: answered <see cref="ErrorCodes.InvalidRequest"/>.</exception>
    private static T ReadRequest<T>(IPluginSerializer serializer, Chunk chunk, string cmd)
    {
        try
        {
            return ReadReceived<T>(serializer, chunk.Buffer);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new RemoteException(
                ErrorCodes.InvalidRequest,
                $"'{cmd}' expects a {typeof(T).Name} in the {serializer.Name} format; the {chunk.Buffer.Length} bytes sent are not one: {ex.Message}");
        }
    }
}
