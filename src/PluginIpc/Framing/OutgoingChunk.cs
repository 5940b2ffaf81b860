namespace PluginIpc;

/// <summary>The fields of a chunk this side writes, passed by reference so that writing it allocates no <see cref="Chunk"/>.</summary>
/// <param name="ThreadId">The chunk's thread id.</param>
/// <param name="Direction">The chunk's direction.</param>
/// <param name="Cmd">The chunk's command.</param>
/// <param name="Buffer">The chunk's body.</param>
/// <param name="Headers">The chunk's headers, if any.</param>
public readonly record struct OutgoingChunk(ulong ThreadId, Direction Direction, string Cmd, ReadOnlyMemory<byte> Buffer = default, IReadOnlyDictionary<string, string>? Headers = null)
{
    /// <summary>Initializes the fields from <paramref name="chunk"/>.</summary>
    /// <param name="chunk">The chunk to write.</param>
    public OutgoingChunk(Chunk chunk)
        : this(chunk.ThreadId, chunk.Direction, chunk.Cmd, chunk.Buffer, chunk.Headers)
    {
    }

    /// <summary>Creates the <see cref="Chunk"/> these fields describe, for a framer that only writes chunks.</summary>
    /// <returns>A new chunk.</returns>
    public Chunk ToChunk() => new() { ThreadId = ThreadId, Direction = Direction, Cmd = Cmd, Buffer = Buffer, Headers = Headers };
}
