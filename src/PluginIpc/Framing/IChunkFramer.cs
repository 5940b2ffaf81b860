using System.Buffers;

namespace PluginIpc;

/// <summary>Converts between bytes on the wire and <see cref="Chunk"/> values.</summary>
/// <remarks>Framers are synchronous, do no I/O and keep no per-connection state, so one instance may serve many channels at once.</remarks>
public interface IChunkFramer
{
    /// <summary>Gets the framing's name on the wire and in <c>PLUGINIPC_FRAMER</c>: <c>text</c> or <c>msgpack</c>.</summary>
    string Name { get; }

    /// <summary>Writes <paramref name="chunk"/> to <paramref name="output"/> in canonical form.</summary>
    /// <remarks>
    /// A channel drops whatever this wrote of a chunk when it throws, and fails that chunk's send with the exception; the
    /// channel and the chunks before and after it are unaffected.
    /// </remarks>
    /// <param name="chunk">The chunk to write.</param>
    /// <param name="output">Where the bytes go.</param>
    /// <exception cref="ProtocolException">The chunk's command or buffer exceeds this framer's limits.</exception>
    /// <exception cref="ArgumentNullException"><paramref name="chunk"/>, its <see cref="Chunk.Cmd"/>, or <paramref name="output"/> is <see langword="null"/>; nothing is written.</exception>
    /// <exception cref="ArgumentException">The command holds an unpaired surrogate, which UTF-8 cannot carry; nothing is written.</exception>
    void Write(Chunk chunk, IBufferWriter<byte> output);

    /// <summary>Reads one chunk from the start of <paramref name="input"/> and slices it off.</summary>
    /// <param name="input">The bytes received so far; on success, sliced to just past the chunk.</param>
    /// <param name="chunk">The chunk read, or <see langword="null"/> when more bytes are needed.</param>
    /// <returns><see langword="false"/> if <paramref name="input"/> is a prefix of a chunk; <paramref name="input"/> is then unchanged.</returns>
    /// <exception cref="ProtocolException">The bytes can never form a valid chunk, or a limit is exceeded.</exception>
    bool TryRead(ref ReadOnlySequence<byte> input, out Chunk? chunk);
}
