using System.Collections.Concurrent;

namespace PluginIpc.Tests.Processes;

/// <summary>A stream whose reads block until the test hands them bytes (empty for the end), or a failure.</summary>
internal sealed class BlockingSource : Stream
{
    private readonly BlockingCollection<object> _items = [];
    /// <summary>Counts the reads that have started; each blocks until it is handed an item.</summary>
    public CountSignal ReadsStarted { get; } = new();

    /// <summary>Counts the reads that have copied their bytes and returned.</summary>
    public CountSignal ReadsReturned { get; } = new();

    public ConcurrentDictionary<int, bool> ReadingThreads { get; } = new();

    /// <summary>The length of each read's buffer, in the order the reads started.</summary>
    public ConcurrentQueue<int> ReadLengths { get; } = new();

    public override bool CanRead => true;

    public override bool CanSeek => false;

    public override bool CanWrite => false;

    public override long Length => throw new NotSupportedException();

    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    public void Add(byte[] bytes) => _items.Add(bytes);

    public void Fail(Exception failure) => _items.Add(failure);

    public override int Read(byte[] buffer, int offset, int count) => Read(buffer.AsSpan(offset, count));

    public override int Read(Span<byte> buffer)
    {
        ReadingThreads[Environment.CurrentManagedThreadId] = true;
        ReadLengths.Enqueue(buffer.Length);
        ReadsStarted.Add();
        object item = _items.Take();
        if (item is Exception failure)
        {
            throw failure;
        }

        byte[] bytes = (byte[])item;
        bytes.CopyTo(buffer);
        ReadsReturned.Add();
        return bytes.Length;
    }

    public override void Flush()
    {
    }

    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    public override void SetLength(long value) => throw new NotSupportedException();

    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    protected override void Dispose(bool disposing)
    {
        _items.Add(Array.Empty<byte>()); // a thread still reading gets the end
        if (disposing)
        {
            ReadsStarted.Dispose();
            ReadsReturned.Dispose();
        }

        base.Dispose(disposing);
    }
}
