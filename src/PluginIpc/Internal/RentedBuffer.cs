using System.Buffers;
using System.Runtime.InteropServices;

namespace PluginIpc;

/// <summary>
/// A received chunk's buffer in an array rented from <see cref="ArrayPool{T}.Shared"/>, for a consumer that gives it back
/// (see <see cref="PooledBuffer"/>): the chunk's <see cref="Chunk.Buffer"/> is this manager's memory, so that the chunk
/// needs no field for it.
/// </summary>
/// <remarks>
/// The array goes back at most once, and never after <see cref="Keep"/>: a consumer that may keep the memory keeps the
/// array for good, and the pool only misses it.
/// </remarks>
internal sealed class RentedBuffer : ArrayBackedMemory
{
    private const int Lent = 0;
    private const int Kept = 1;
    private const int Returned = 2;

    private readonly byte[] _array;
    private readonly int _length;
    private int _state;

    /// <summary>Rents an array for a buffer of <paramref name="length"/> bytes.</summary>
    public RentedBuffer(int length)
    {
        _array = ArrayPool<byte>.Shared.Rent(length);
        _length = length;
    }

    /// <summary>Gets a value indicating whether the array went back to the pool.</summary>
    internal bool IsReturned => Volatile.Read(ref _state) == Returned;

    /// <summary>Gets the rented array, for the reader that fills it.</summary>
    public byte[] Array => _array;

    /// <summary>Leaves the array to whoever has the memory, for good, unless it went back already.</summary>
    /// <param name="memory">A chunk's buffer.</param>
    public static void Keep(ReadOnlyMemory<byte> memory)
    {
        if (MemoryMarshal.TryGetMemoryManager(memory, out RentedBuffer? rented))
        {
            Interlocked.CompareExchange(ref rented._state, Kept, Lent);
        }
    }

    /// <summary>Gives the array back, unless it was kept or given back already.</summary>
    /// <param name="memory">A chunk's buffer.</param>
    public static void Return(ReadOnlyMemory<byte> memory)
    {
        if (MemoryMarshal.TryGetMemoryManager(memory, out RentedBuffer? rented)
            && Interlocked.CompareExchange(ref rented._state, Returned, Lent) == Lent)
        {
            ArrayPool<byte>.Shared.Return(rented._array);
        }
    }

    /// <inheritdoc/>
    public override Span<byte> GetSpan() => _array.AsSpan(0, _length);

    /// <inheritdoc/>
    protected override byte[] PinnedArray => _array;
}
