using System.Buffers;

namespace PluginIpc;

/// <summary>
/// A framer that can read a chunk's header before its buffer has arrived, for chunks whose buffer is their last part, so
/// that a large buffer can be read from the connection straight into its own array.
/// </summary>
/// <remarks>
/// An optional capability of an <see cref="IChunkFramer"/>: a channel over a stream reads large buffers this way when its
/// framer implements it, whether the framer is built in or not.
/// </remarks>
public interface IChunkHeaderReader
{
    /// <summary>Reads the fields of the chunk at the start of <paramref name="input"/> up to its buffer, and slices them off.</summary>
    /// <param name="input">The bytes received so far; on success, sliced to the start of the chunk's buffer.</param>
    /// <param name="header">The fields read, and the length of the buffer that follows.</param>
    /// <returns>
    /// <see langword="false"/> if the header is not all there yet, or if something follows the buffer in this chunk (a
    /// MessagePack chunk with headers); <paramref name="input"/> is then unchanged.
    /// </returns>
    /// <exception cref="ProtocolException">The bytes can never form a valid chunk, or a limit is exceeded.</exception>
    bool TryReadHeader(ref ReadOnlySequence<byte> input, out ChunkHeader header);
}
