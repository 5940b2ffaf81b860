namespace PluginIpc;

/// <summary>
/// Typed calls on any <see cref="IChunkPeer"/>: objects in and out, written by the peer's <see cref="IChunkPeer.Serializer"/>
/// (MessagePack by default) into the chunk's buffer. The command names the operation, as with byte calls.
/// </summary>
public static class TypedChunkPeerExtensions
{
    /// <summary>Sends <paramref name="request"/> as a request with command <paramref name="cmd"/> and reads the answer as a <typeparamref name="TResponse"/>, within the peer's default timeout.</summary>
    /// <typeparam name="TRequest">The request's type.</typeparam>
    /// <typeparam name="TResponse">The answer's type.</typeparam>
    /// <param name="peer">The peer.</param>
    /// <param name="cmd">The command.</param>
    /// <param name="request">The request.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The answer.</returns>
    /// <exception cref="RemoteException">The other side answered with an error; <see cref="ErrorCodes.InvalidRequest"/> when the request was not the type its handler reads.</exception>
    /// <exception cref="ProtocolException">The answer is not a <typeparamref name="TResponse"/> in the serializer's format.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The connection closed before the answer came.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<TResponse> CallAsync<TRequest, TResponse>(this IChunkPeer peer, string cmd, TRequest request, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(peer);
        return peer.CallAsync<TRequest, TResponse>(cmd, request, peer.DefaultCallTimeout, cancellationToken);
    }

    /// <summary>Sends <paramref name="request"/> as a request with command <paramref name="cmd"/> and reads the answer as a <typeparamref name="TResponse"/>.</summary>
    /// <typeparam name="TRequest">The request's type.</typeparam>
    /// <typeparam name="TResponse">The answer's type.</typeparam>
    /// <param name="peer">The peer.</param>
    /// <param name="cmd">The command.</param>
    /// <param name="request">The request.</param>
    /// <param name="timeout">How long to wait for the answer; <see cref="Timeout.InfiniteTimeSpan"/> to wait while the connection lasts.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The answer.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="ProtocolException">The answer is not a <typeparamref name="TResponse"/> in the serializer's format.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The connection closed before the answer came.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    public static Task<TResponse> CallAsync<TRequest, TResponse>(this IChunkPeer peer, string cmd, TRequest request, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        // No state machine: the channel reads the answer with a kept reader as the response comes in, and completes the
        // caller's task itself. What fails before the request goes out fails the task, as in an async method.
        Func<ReceivedChunk, TResponse> answer;
        ReadOnlyMemory<byte> buffer;
        try
        {
            ArgumentNullException.ThrowIfNull(peer);
            ArgumentNullException.ThrowIfNull(cmd);
            IPluginSerializer serializer = PluginSerializers.Resolve(peer.Serializer);
            // The library's own peers hand a pooled body back once framed; another implementation may keep what it is given.
            buffer = TypedPayload.Serialize(serializer, request, pooled: TypedPayload.IsLibraryPeer(peer));
            answer = TypedAnswerReader<TResponse>.For(serializer, peer.Name, cmd);
        }
        catch (Exception ex)
        {
            return Task.FromException<TResponse>(ex);
        }

        return ChunkPeerExtensions.Call(peer, cmd, buffer, timeout, answer, cancellationToken);
    }

    /// <summary>
    /// Handles the other side's requests with command <paramref name="cmd"/>: each request's buffer is read as a
    /// <typeparamref name="TRequest"/> and the handler's result is the answer. A buffer that is not one is answered
    /// <see cref="ErrorCodes.InvalidRequest"/>, naming the command and the type.
    /// </summary>
    /// <typeparam name="TRequest">The request's type.</typeparam>
    /// <typeparam name="TResponse">The answer's type.</typeparam>
    /// <param name="peer">The peer.</param>
    /// <param name="cmd">The command, matched exactly (ordinal).</param>
    /// <param name="handler">The handler; throw <see cref="RemoteException"/> to answer with an error code.</param>
    public static void Handle<TRequest, TResponse>(this IChunkPeer peer, string cmd, Func<TRequest, CancellationToken, ValueTask<TResponse>> handler)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(cmd);
        ArgumentNullException.ThrowIfNull(handler);
        peer.Handle(cmd, TypedPayload.Handler(cmd, handler));
    }

    /// <summary>Handles the other side's one-way messages (and requests, answered empty) with command <paramref name="cmd"/>, read as a <typeparamref name="TMessage"/>.</summary>
    /// <typeparam name="TMessage">The message's type.</typeparam>
    /// <param name="peer">The peer.</param>
    /// <param name="cmd">The command, matched exactly (ordinal).</param>
    /// <param name="handler">The handler.</param>
    public static void Handle<TMessage>(this IChunkPeer peer, string cmd, Func<TMessage, CancellationToken, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(peer);
        ArgumentNullException.ThrowIfNull(cmd);
        ArgumentNullException.ThrowIfNull(handler);
        peer.Handle(cmd, TypedPayload.Handler(cmd, handler));
    }
}
