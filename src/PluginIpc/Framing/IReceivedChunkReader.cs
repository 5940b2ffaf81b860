using System.Buffers;

namespace PluginIpc;

/// <summary>A built-in framer's read that returns a chunk's fields, so the channel makes a <see cref="Chunk"/> only where one is handed out.</summary>
internal interface IReceivedChunkReader
{
    /// <summary>Reads one chunk exactly as <see cref="IChunkFramer.TryRead"/> reads it, with the same checks and errors.</summary>
    /// <param name="input">The bytes received so far; on success, sliced to just past the chunk.</param>
    /// <param name="chunk">The fields read; default when more bytes are needed.</param>
    /// <returns><see langword="false"/> if <paramref name="input"/> is a prefix of a chunk; <paramref name="input"/> is then unchanged.</returns>
    bool TryReadReceived(ref ReadOnlySequence<byte> input, out ReceivedChunk chunk);
}
