namespace PluginIpc.Contracts;

/// <summary>What contracts need of the library's own peers (<see cref="Channel"/>, <see cref="Plugin"/>, <see cref="Main"/>) beyond <see cref="IChunkPeer"/>.</summary>
internal interface IContractPeer
{
    /// <summary>Gets the clock of the peer's timeouts.</summary>
    TimeProvider TimeProvider { get; }

    /// <summary>Gets the other side's handshake metadata, when this side has it (a plugin's, on the host).</summary>
    IReadOnlyDictionary<string, string>? RemoteMetadata { get; }

    /// <summary>Gets the connection that the peer's calls go through now, if there is one.</summary>
    Channel? Connection { get; }

    /// <summary>Registers a one-way handler that runs on the read loop, in the order chunks arrive (see <see cref="HandlerRegistry.HandleInline"/>).</summary>
    void HandleInline(string cmd, ChunkHandler handler);
}
