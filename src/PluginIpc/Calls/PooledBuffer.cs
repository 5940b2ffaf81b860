using System.Buffers;

namespace PluginIpc;

/// <summary>
/// An answer's bytes, possibly in an array rented from <see cref="ArrayPool{T}.Shared"/>: <see cref="Dispose"/> gives the
/// array back, so that large answers do not cost a new array each (see <see cref="ChunkPeerExtensions.CallPooledAsync(IChunkPeer, string, ReadOnlyMemory{byte}, CancellationToken)"/>).
/// </summary>
/// <remarks>
/// Only large answers that arrive over a pipe or stream are read into a rented array; the others keep an array of their
/// own, and disposing them does nothing. Nothing may use <see cref="Memory"/>, or memory taken from it, after
/// <see cref="Dispose"/>: its array then holds another answer.
/// </remarks>
public sealed class PooledBuffer : IDisposable
{
    /// <summary>Makes the caller's answer from a response: the answer function the channel recognizes as taking rented arrays.</summary>
    internal static readonly Func<ReceivedChunk, PooledBuffer> Answer = static response => new PooledBuffer(response.Buffer);

    private readonly ReadOnlyMemory<byte> _memory;
    private int _disposed;

    private PooledBuffer(ReadOnlyMemory<byte> memory) => _memory = memory;

    /// <summary>Gets the answer's bytes.</summary>
    /// <exception cref="ObjectDisposedException">The buffer was disposed.</exception>
    public ReadOnlyMemory<byte> Memory
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return _memory;
        }
    }

    /// <summary>
    /// Wraps <paramref name="handler"/> so that the large buffers of the requests it handles may be read into arrays rented
    /// from <see cref="ArrayPool{T}.Shared"/>, which the channel takes back once the handler's answer is framed.
    /// </summary>
    /// <param name="handler">
    /// A handler that keeps neither its request's <see cref="Chunk.Buffer"/> nor memory taken from it once its task completes,
    /// nor passes it to a call or message it does not await. It may answer with that memory (the answer is framed, copied
    /// into the writer or written, before the array goes back), and may forward it in a call it awaits.
    /// </param>
    /// <returns>The handler to register with <c>Handle</c> on a <see cref="Channel"/>, <see cref="Plugin"/>, <see cref="Main"/> or <see cref="MainOptions"/>.</returns>
    /// <remarks>One-way messages and small requests keep arrays of their own.</remarks>
    public static ChunkHandler LendTo(ChunkHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        return handler.Target is PooledRequestHandler ? handler : new PooledRequestHandler(handler).InvokeAsync;
    }

    /// <summary>Gives the rented array back, if there is one. Later calls do nothing.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) == 0)
        {
            RentedBuffer.Return(_memory);
        }
    }
}
