using System.Buffers;
using System.Runtime.CompilerServices;

namespace PluginIpc;

/// <summary>The buffers of typed calls: a value serialized with the peer's serializer, and the chunk handlers that read them.</summary>
internal static class TypedPayload
{
    [ThreadStatic]
    private static ArrayBufferWriter<byte>? t_scratch;

    /// <summary>Serializes <paramref name="value"/> into a buffer of its own, which the call may hold until it is written.</summary>
    /// <param name="serializer">The peer's serializer.</param>
    /// <param name="value">The value.</param>
    /// <param name="pooled">
    /// Whether the bytes go into a <see cref="PooledBody"/>: only for a request or answer that goes to one of the library's
    /// channels (see <see cref="IsLibraryPeer"/>), which hands the array back once it has framed it; nothing else may hold it.
    /// </param>
    /// <remarks>Writes into a per-thread scratch buffer, then copies out exactly the bytes written.</remarks>
    public static ReadOnlyMemory<byte> Serialize<T>(IPluginSerializer serializer, T value, bool pooled = false)
    {
        ArrayBufferWriter<byte> scratch = RentScratch();
        try
        {
            serializer.Serialize(scratch, value);
        }
        catch
        {
            ReleaseScratch(scratch);
            throw;
        }

        return CopyOut(scratch, pooled);
    }

    /// <summary>Returns this thread's scratch buffer, empty. Nothing else on the thread may use it until <see cref="CopyOut"/>.</summary>
    public static ArrayBufferWriter<byte> RentScratch()
    {
        ArrayBufferWriter<byte> scratch = t_scratch ??= new ArrayBufferWriter<byte>(256);
        scratch.ResetWrittenCount();
        return scratch;
    }

    /// <summary>Copies out what <paramref name="scratch"/> holds, into an array or a <see cref="PooledBody"/> (see <see cref="Serialize"/>), and gives the scratch buffer back.</summary>
    public static ReadOnlyMemory<byte> CopyOut(ArrayBufferWriter<byte> scratch, bool pooled = false)
    {
        ReadOnlyMemory<byte> copy = pooled ? PooledBody.CopyOf(scratch.WrittenSpan) : scratch.WrittenSpan.ToArray();
        ReleaseScratch(scratch);
        return copy;
    }

    /// <summary>Whether <paramref name="peer"/> is one of the library's own (a channel, a plugin or a plugin side), whose channel hands pooled bodies back once framed.</summary>
    public static bool IsLibraryPeer(IChunkPeer peer) => peer is IChunkCallShortcuts;

    /// <summary>Lets a large scratch buffer go rather than keep it for the thread's lifetime.</summary>
    private static void ReleaseScratch(ArrayBufferWriter<byte> scratch)
    {
        if (scratch.Capacity > MaxKeptScratch)
        {
            t_scratch = null;
        }
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
    /// <param name="toLibraryPeer">Whether the answer goes to one of the library's peers, whose channel hands a pooled body back (see <see cref="Serialize"/>); another peer gets an array it may keep.</param>
    public static ValueTask<ReadOnlyMemory<byte>> Answer<TResult>(Task<TResult> result, IPluginSerializer serializer, bool toLibraryPeer) =>
        result.IsCompletedSuccessfully ? new(Serialize(serializer, result.Result, toLibraryPeer)) : AnswerAsync(result, serializer, toLibraryPeer);

    /// <inheritdoc cref="Answer{TResult}(Task{TResult}, IPluginSerializer, bool)"/>
    public static ValueTask<ReadOnlyMemory<byte>> Answer<TResult>(ValueTask<TResult> result, IPluginSerializer serializer, bool toLibraryPeer) =>
        result.IsCompletedSuccessfully ? new(Serialize(serializer, result.Result, toLibraryPeer)) : AnswerAsync(result.AsTask(), serializer, toLibraryPeer);


    private static async ValueTask<ReadOnlyMemory<byte>> AnswerAsync(Task done)
    {
        await done.ConfigureAwait(false);
        return ReadOnlyMemory<byte>.Empty;
    }

    private static async ValueTask<ReadOnlyMemory<byte>> AnswerAsync<TResult>(Task<TResult> result, IPluginSerializer serializer, bool toLibraryPeer) =>
        Serialize(serializer, await result.ConfigureAwait(false), toLibraryPeer);

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
