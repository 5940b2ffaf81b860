namespace PluginIpc;

/// <summary>
/// The fields of a chunk read from the other side, so that a response can reach its caller without a <see cref="Chunk"/>
/// of its own: only what is handed to user code as a chunk (a request, a one-way message, a chunk-returning call) makes one.
/// </summary>
/// <param name="ThreadId">The chunk's thread id.</param>
/// <param name="Direction">The chunk's direction.</param>
/// <param name="Cmd">The chunk's command.</param>
/// <param name="Buffer">The chunk's body: an array of its own, which the receiver may keep.</param>
/// <param name="Headers">The chunk's headers, if any.</param>
/// <param name="Read">The chunk as a framer that only reads chunks returned it, if one did.</param>
internal readonly record struct ReceivedChunk(ulong ThreadId, Direction Direction, string Cmd, ReadOnlyMemory<byte> Buffer, IReadOnlyDictionary<string, string>? Headers = null, Chunk? Read = null)
{
    /// <summary>Initializes the fields from a chunk a framer returned.</summary>
    public ReceivedChunk(Chunk chunk)
        : this(chunk.ThreadId, chunk.Direction, chunk.Cmd, chunk.Buffer, chunk.Headers, chunk)
    {
    }

    /// <summary>Returns the chunk these fields describe: the one read, or a new one.</summary>
    public Chunk ToChunk() => Read ?? new Chunk { ThreadId = ThreadId, Direction = Direction, Cmd = Cmd, Buffer = Buffer, Headers = Headers };
}
