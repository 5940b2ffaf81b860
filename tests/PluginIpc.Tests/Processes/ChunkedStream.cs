namespace PluginIpc.Tests.Processes;

/// <summary>A readable stream that returns the given chunks one read at a time, to put read boundaries where a test wants them.</summary>
/// <remarks>A <see cref="StreamReader"/> over it returns after each short read, so its reads end where the chunks end.</remarks>
internal sealed class ChunkedStream(params byte[][] chunks) : Stream
{
    private readonly Queue<byte[]> _chunks = new(chunks);
    private byte[] _current = [];
    private int _offset;

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position
    {
        get => throw new NotSupportedException();
        set => throw new NotSupportedException();
    }

    /// <summary>Returns a stream that gives <paramref name="text"/>'s UTF-8 bytes one byte per read.</summary>
    public static ChunkedStream ByteByByte(string text) =>
        new([.. System.Text.Encoding.UTF8.GetBytes(text).Select(b => new[] { b })]);

    /// <summary>Returns a stream that gives each of <paramref name="parts"/>, UTF-8 encoded, in a read of its own.</summary>
    public static ChunkedStream Parts(params string[] parts) => new([.. parts.Select(System.Text.Encoding.UTF8.GetBytes)]);

    public override int Read(Span<byte> buffer)
    {
        while (_offset == _current.Length)
        {
            if (!_chunks.TryDequeue(out byte[]? next))
            {
                return 0;
            }

            _current = next;
            _offset = 0;
        }

        int count = Math.Min(buffer.Length, _current.Length - _offset);
        _current.AsSpan(_offset, count).CopyTo(buffer);
        _offset += count;
        return count;
    }

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default) =>
        ValueTask.FromResult(Read(buffer.Span));

    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        Task.FromResult(Read(buffer.AsSpan(offset, count)));

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
}
