namespace PluginIpc;

/// <summary>Everything of a chunk read so far except its buffer: the fields before it, and the buffer's length.</summary>
/// <param name="ThreadId">The chunk's thread id.</param>
/// <param name="Direction">The chunk's direction.</param>
/// <param name="Cmd">The chunk's command.</param>
/// <param name="BufferLength">The length of the buffer that follows, within the framer's limit.</param>
public readonly record struct ChunkHeader(ulong ThreadId, Direction Direction, string Cmd, int BufferLength);
