namespace PluginIpc;

/// <summary>Handles a request or one-way message that the other side sent.</summary>
/// <param name="chunk">The incoming chunk.</param>
/// <param name="peer">The peer that sent it (the <see cref="Plugin"/>, <see cref="Main"/> or <see cref="Channel"/> it came through), so the handler can call the other side back.</param>
/// <param name="cancellationToken">Fires when the caller cancels the request or the channel closes.</param>
/// <returns>The answer's buffer; ignored for a one-way message.</returns>
/// <remarks>Throw <see cref="RemoteException"/> to answer with a chosen error code; any other exception answers <see cref="ErrorCodes.HandlerError"/>.</remarks>
public delegate ValueTask<ReadOnlyMemory<byte>> ChunkHandler(Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken);
