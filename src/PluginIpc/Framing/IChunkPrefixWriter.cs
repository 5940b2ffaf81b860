using System.Buffers;

namespace PluginIpc;

/// <summary>
/// A built-in framer's write of a chunk's fields up to its buffer, for a chunk whose buffer is its last part, so that the
/// channel's writer can send a large buffer from where it lies instead of copying it first.
/// </summary>
internal interface IChunkPrefixWriter
{
    /// <summary>
    /// Writes the bytes of <paramref name="chunk"/> that come before its buffer, with the same checks and errors as a whole
    /// write: those bytes followed by the buffer are exactly what the whole write gives.
    /// </summary>
    /// <returns><see langword="false"/>, having written nothing, when something follows the buffer (a MessagePack chunk with headers).</returns>
    bool TryWritePrefix(in OutgoingChunk chunk, IBufferWriter<byte> output);
}
