namespace PluginIpc;

/// <summary>
/// The other end of a connection, as this end sees it: a peer this side can call and notify, and whose requests and
/// one-way messages this side handles. <see cref="Channel"/>, <see cref="Plugin"/> and <see cref="Main"/> implement it.
/// </summary>
/// <remarks>
/// This is the whole contract; the conveniences (bytes, text, the default timeout, ping) are extension methods in
/// <see cref="ChunkPeerExtensions"/>, so every implementation gets the same set. Implementations are thread safe.
/// </remarks>
public interface IChunkPeer
{
    /// <summary>Gets the peer's name in logs and error messages.</summary>
    string Name { get; }

    /// <summary>Gets how long a call waits for its answer when the caller does not say.</summary>
    TimeSpan DefaultCallTimeout { get; }

    /// <summary>Gets the format of this peer's typed calls, or <see langword="null"/> for the default, <see cref="MessagePackPluginSerializer"/>.</summary>
    /// <remarks>Implemented by default (returning <see langword="null"/>), so that peers written before typed calls keep compiling.</remarks>
    IPluginSerializer? Serializer => null;

    /// <summary>Sends <paramref name="request"/>'s command, buffer and headers as a request and awaits the whole answer within <paramref name="timeout"/>.</summary>
    /// <param name="request">The request; its thread id and direction are ignored and chosen by the peer.</param>
    /// <param name="timeout">How long to wait for the answer; <see cref="Timeout.InfiniteTimeSpan"/> to wait while the connection lasts.</param>
    /// <param name="cancellationToken">Cancels the call: the other side is told, and the wait ends at once.</param>
    /// <returns>The response chunk.</returns>
    /// <exception cref="RemoteException">The other side answered with an error.</exception>
    /// <exception cref="TimeoutException">No answer came in time.</exception>
    /// <exception cref="ChannelClosedException">The connection closed before the answer came; the inner exception says why.</exception>
    /// <exception cref="ProtocolException">The request exceeds the framer's limits; nothing was sent.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task<Chunk> CallAsync(Chunk request, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Sends <paramref name="message"/>'s command, buffer and headers as a one-way message: the other side handles it and sends no answer.</summary>
    /// <param name="message">The message; its direction is ignored.</param>
    /// <param name="cancellationToken">Cancels the send while nothing of it is written, also while it waits for room because the other side does not read.</param>
    /// <returns>A task that completes when the message is handed to the transport.</returns>
    /// <exception cref="ChannelClosedException">The connection is closed.</exception>
    /// <exception cref="ProtocolException">The message exceeds the framer's limits; nothing was sent.</exception>
    ValueTask NotifyAsync(Chunk message, CancellationToken cancellationToken = default);

    /// <summary>Registers the handler of the other side's requests and one-way messages with command <paramref name="cmd"/>, replacing any earlier one.</summary>
    /// <param name="cmd">The command, matched exactly (ordinal).</param>
    /// <param name="handler">The handler.</param>
    /// <exception cref="ArgumentException">The peer handles <paramref name="cmd"/> itself, as a <see cref="Plugin"/> handles <c>cmd.log</c> and a <see cref="Main"/> handles <c>GetMetadata</c> and <c>cmd.stop</c>.</exception>
    void Handle(string cmd, ChunkHandler handler);

    /// <summary>Registers the handler of every command that has no handler of its own.</summary>
    /// <param name="handler">The fallback handler, or <see langword="null"/> to remove it: requests without a handler are then answered <see cref="ErrorCodes.UnknownCommand"/>.</param>
    void HandleFallback(ChunkHandler? handler);
}
