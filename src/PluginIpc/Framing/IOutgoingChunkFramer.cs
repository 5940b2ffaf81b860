using System.Buffers;

namespace PluginIpc;

/// <summary>A framer that writes a chunk from its fields, so the channel's own writes allocate no <see cref="Chunk"/>.</summary>
/// <remarks>An optional capability of an <see cref="IChunkFramer"/>: a channel uses it when its framer implements it, whether the framer is built in or not.</remarks>
public interface IOutgoingChunkFramer
{
    /// <summary>Writes <paramref name="chunk"/> exactly as <see cref="IChunkFramer.Write"/> writes the same chunk, with the same checks and errors.</summary>
    /// <param name="chunk">The fields to write.</param>
    /// <param name="output">Where the bytes go.</param>
    void Write(in OutgoingChunk chunk, IBufferWriter<byte> output);
}
