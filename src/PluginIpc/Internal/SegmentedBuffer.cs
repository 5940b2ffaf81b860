using System.Buffers;

namespace PluginIpc;

/// <summary>A growable <see cref="IBufferWriter{T}"/> made of pooled segments, so a large chunk never needs one large array.</summary>
/// <remarks>Not thread safe.</remarks>
internal sealed class SegmentedBuffer : IBufferWriter<byte>
{
    private const int SegmentSize = 16 * 1024;
    private const int MaxSegmentSize = 1024 * 1024;
    private readonly List<(byte[] Array, int Length)> _full = [];
    private byte[] _current = ArrayPool<byte>.Shared.Rent(SegmentSize);
    private int _used;

    /// <summary>Gets the number of bytes written since the last <see cref="Reset"/>.</summary>
    public long WrittenCount { get; private set; }

    public void Advance(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(count);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(count, _current.Length - _used);
        _used += count;
        WrittenCount += count;
    }

    public Memory<byte> GetMemory(int sizeHint = 0)
    {
        EnsureRoom(Math.Max(sizeHint, 1));
        return _current.AsMemory(_used);
    }

    public Span<byte> GetSpan(int sizeHint = 0)
    {
        EnsureRoom(Math.Max(sizeHint, 1));
        return _current.AsSpan(_used);
    }

    /// <summary>
    /// Makes room for <paramref name="size"/> more bytes in one segment, so that a large chunk written next goes out in one
    /// write rather than one per segment. Bytes already written to the current segment move along with it when they are
    /// few (at most one first segment's worth), so a lone large chunk and what little precedes it stay together.
    /// </summary>
    /// <param name="size">The number of bytes to keep together.</param>
    public void ReserveContiguous(int size)
    {
        if (_current.Length - _used >= size)
        {
            return;
        }

        if (_used == 0 || _used > SegmentSize)
        {
            EnsureRoom(size);
            return;
        }

        byte[] larger = ArrayPool<byte>.Shared.Rent(_used + size);
        _current.AsSpan(0, _used).CopyTo(larger);
        ArrayPool<byte>.Shared.Return(_current);
        _current = larger;
    }

    /// <summary>Gets the number of segments that hold written bytes.</summary>
    public int SegmentCount => _full.Count + (_used > 0 ? 1 : 0);

    /// <summary>Returns the written bytes of segment <paramref name="index"/>, in order from 0.</summary>
    public ReadOnlyMemory<byte> GetSegment(int index) =>
        index < _full.Count ? _full[index].Array.AsMemory(0, _full[index].Length) : _current.AsMemory(0, _used);

    /// <summary>Copies every written byte, in order, to <paramref name="output"/>.</summary>
    public void CopyTo(IBufferWriter<byte> output)
    {
        foreach ((byte[] array, int length) in _full)
        {
            output.Write(array.AsSpan(0, length));
        }

        output.Write(_current.AsSpan(0, _used));
    }

    /// <summary>
    /// Forgets what was written after the first <paramref name="length"/> bytes, so that a chunk whose framing failed halfway
    /// leaves nothing of itself behind.
    /// </summary>
    /// <param name="length">The number of bytes to keep: a <see cref="WrittenCount"/> seen earlier.</param>
    public void Truncate(long length)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(length);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(length, WrittenCount);
        long end = WrittenCount;
        while (end - _used > length)
        {
            // The kept bytes end before the current segment: drop it and go back to the last full one.
            end -= _used;
            ArrayPool<byte>.Shared.Return(_current);
            (_current, _used) = _full[^1];
            _full.RemoveAt(_full.Count - 1);
        }

        _used -= (int)(end - length);
        WrittenCount = length;
    }

    /// <summary>Forgets what was written and returns all but one segment to the pool.</summary>
    public void Reset()
    {
        foreach ((byte[] array, _) in _full)
        {
            ArrayPool<byte>.Shared.Return(array);
        }

        _full.Clear();
        if (_current.Length > SegmentSize)
        {
            ArrayPool<byte>.Shared.Return(_current);
            _current = ArrayPool<byte>.Shared.Rent(SegmentSize);
        }

        _used = 0;
        WrittenCount = 0;
    }

    private void EnsureRoom(int size)
    {
        if (_current.Length - _used >= size)
        {
            return;
        }

        if (_used > 0)
        {
            _full.Add((_current, _used));
        }
        else
        {
            ArrayPool<byte>.Shared.Return(_current);
        }

        // Each further segment doubles, so a large chunk takes a few pooled arrays rather than many small ones.
        int next = (int)Math.Min(MaxSegmentSize, (long)SegmentSize << Math.Min(_full.Count, 6));
        _current = ArrayPool<byte>.Shared.Rent(Math.Max(size, next));
        _used = 0;
    }
}
