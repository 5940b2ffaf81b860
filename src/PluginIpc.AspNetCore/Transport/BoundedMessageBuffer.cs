using System.Buffers;

namespace PluginIpc.AspNetCore.Transport;

/// <summary>
/// Gathers one incoming message in a pooled array that grows to at most the limit plus one byte: a message over the limit is
/// noticed one byte past it, never buffered whole.
/// </summary>
internal sealed class BoundedMessageBuffer(int maxBytes) : IDisposable
{
    private const int InitialBytes = 4096;

    private byte[] _array = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBytes, maxBytes + 1));
    private int _length;

    /// <summary>Gets whether more than the limit arrived.</summary>
    public bool Exceeded => _length > maxBytes;

    /// <summary>Gets the bytes gathered so far.</summary>
    public ReadOnlyMemory<byte> Written => _array.AsMemory(0, _length);

    /// <summary>Returns free space to receive into: never past the limit plus one byte.</summary>
    public Memory<byte> GetFree()
    {
        if (_length == _array.Length)
        {
            int size = (int)Math.Min((long)_array.Length * 2, (long)maxBytes + 1);
            byte[] grown = ArrayPool<byte>.Shared.Rent(size);
            _array.AsSpan(0, _length).CopyTo(grown);
            ArrayPool<byte>.Shared.Return(_array);
            _array = grown;
        }

        return _array.AsMemory(_length, Math.Min(_array.Length, maxBytes + 1) - _length);
    }

    public void Advance(int count) => _length += count;

    /// <summary>Forgets the message; a large array goes back to the pool so an idle connection holds little.</summary>
    public void Reset()
    {
        _length = 0;
        if (_array.Length > InitialBytes * 4)
        {
            ArrayPool<byte>.Shared.Return(_array);
            _array = ArrayPool<byte>.Shared.Rent(Math.Min(InitialBytes, maxBytes + 1));
        }
    }

    public void Dispose()
    {
        byte[] array = Interlocked.Exchange(ref _array, []);
        if (array.Length > 0)
        {
            ArrayPool<byte>.Shared.Return(array);
        }
    }
}
