using System.Buffers;
using System.Runtime.InteropServices;

namespace PluginIpc;

/// <summary>
/// A typed call's request or answer body in a pooled array: the channel hands it back with <see cref="ReleaseIfPooled"/>
/// once it has framed the chunk (copied its bytes into the output), so a typed call allocates no array for its body.
/// </summary>
/// <remarks>
/// Only for bodies that go to one of the library's channels once and nowhere else: nothing may read the memory after the
/// channel framed it, and the channel must release it exactly once (a released body is reused, so a second release would
/// give away its next owner's array). Every release gives the array back to the shared pool; each thread keeps one
/// empty body object to reuse.
/// </remarks>
internal sealed class PooledBody : ArrayBackedMemory
{
    /// <summary>Bodies larger than this get an array of their own, as before: the pool is for the small bodies of typical calls.</summary>
    public const int MaxPooledBytes = 4 * 1024;

    [ThreadStatic]
    private static PooledBody? t_spare;

    private byte[] _array = [];
    private int _length;

    private PooledBody()
    {
    }

    /// <summary>Copies <paramref name="bytes"/> into a pooled body, or into an array of its own when they are larger than <see cref="MaxPooledBytes"/>.</summary>
    public static ReadOnlyMemory<byte> CopyOf(ReadOnlySpan<byte> bytes)
    {
        if (bytes.Length > MaxPooledBytes)
        {
            return bytes.ToArray();
        }

        PooledBody body = t_spare ?? new PooledBody();
        t_spare = null;
        body._array = ArrayPool<byte>.Shared.Rent(Math.Max(bytes.Length, 1));
        body._length = bytes.Length;
        bytes.CopyTo(body._array);
        return body.Memory;
    }

    /// <summary>Gives the array of a pooled body back once nothing reads <paramref name="memory"/> any more; does nothing for any other memory.</summary>
    public static void ReleaseIfPooled(ReadOnlyMemory<byte> memory)
    {
        if (MemoryMarshal.TryGetMemoryManager(memory, out PooledBody? body))
        {
            body.Release();
        }
    }

    /// <inheritdoc/>
    public override Span<byte> GetSpan() => _array.AsSpan(0, _length);

    /// <inheritdoc/>
    protected override byte[] PinnedArray => _array;

    private void Release()
    {
        byte[] array = _array;
        if (array.Length == 0)
        {
            return; // released already and not reused yet; once reused, a second release could not be told apart
        }

        _array = [];
        _length = 0;
        ArrayPool<byte>.Shared.Return(array);
        t_spare ??= this;
    }
}
