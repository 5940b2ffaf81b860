namespace PluginIpc;

/// <summary>Marks a handler that lets the channel lend its requests' large buffers (see <see cref="PooledBuffer.LendTo"/>): the channel looks for it as the handler delegate's target.</summary>
/// <param name="handler">The user's handler.</param>
internal sealed class PooledRequestHandler(ChunkHandler handler)
{
    /// <summary>Wraps <paramref name="gated"/>, a wrapper of <paramref name="original"/>, as <paramref name="original"/> is wrapped: lending, or not.</summary>
    public static ChunkHandler Like(ChunkHandler original, ChunkHandler gated) =>
        original.Target is PooledRequestHandler ? new PooledRequestHandler(gated).InvokeAsync : gated;

    /// <summary>Runs the user's handler.</summary>
    public ValueTask<ReadOnlyMemory<byte>> InvokeAsync(Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken) =>
        handler(chunk, peer, cancellationToken);
}
