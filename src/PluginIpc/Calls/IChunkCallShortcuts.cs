namespace PluginIpc;

/// <summary>
/// The forms of <see cref="IChunkPeer"/>'s calls that need no request <see cref="Chunk"/> and no continuation to unwrap the
/// answer: the library's peers implement them, and <see cref="ChunkPeerExtensions"/> uses them when a peer has them.
/// </summary>
internal interface IChunkCallShortcuts
{
    /// <summary>Sends a request and completes the returned task with <paramref name="answer"/> applied to the response.</summary>
    Task<TAnswer> CallAsync<TAnswer>(string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, Func<ReceivedChunk, TAnswer> answer, CancellationToken cancellationToken);

    /// <summary>Sends a one-way message.</summary>
    ValueTask NotifyAsync(string cmd, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken);
}
