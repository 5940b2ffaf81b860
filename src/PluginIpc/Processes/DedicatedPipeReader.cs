using System.Buffers;
using System.IO.Pipelines;

namespace PluginIpc;

/// <summary>
/// The channel's reader of a <see cref="DedicatedReadStream"/>: reads into one array of its own, with no token, and
/// returns a read done in place as a completed result, with none of a general pipe reader's layers in between.
/// </summary>
/// <remarks>
/// The pipe reader of <see cref="PipeReader.Create(Stream, StreamPipeReaderOptions)"/> rents a segment per read, registers
/// its token with the stream on every read and runs an async method around it: about a tenth of the library's own time
/// per round trip (issue 29). Here the array is kept, not pooled, so a read the stream still does after a cancel can only
/// write to this reader's own memory. Reads take at most 16 KiB, as the channel's pipe reader did: a large chunk's header
/// arrives with little of its buffer, and <see cref="DirectBufferReader"/> reads the rest into the buffer's own array.
/// The array grows while one chunk needs more (the framer bounds a chunk's size; at most twice what arrived) and goes
/// back to 16 KiB once what is left of it fits there, unless it is no larger than 64 KiB. <see cref="CancelPendingRead"/>
/// cancels the read under way and every later one: the channel cancels only to close. One reader at a time, as any pipe
/// reader.
/// </remarks>
internal sealed class DedicatedPipeReader : PipeReader
{
    private const int ReadBytes = 16 * 1024;
    private const int MinimumReadBytes = 4 * 1024;

    /// <summary>The most the read after a large chunk takes: room for the next chunk's header, little of its buffer.</summary>
    private const int ShortReadBytes = 1024;

    /// <summary>A grown array up to this size is kept: a chunk the direct reader leaves to the array is at most 32 KiB, or over 1 MiB.</summary>
    private const int KeptBytes = 64 * 1024;

    private readonly DedicatedReadStream _stream;
    private byte[] _array = [];
    private int _start;
    private int _end;

    /// <summary>Whether the caller has examined everything read so far: the next read waits for more.</summary>
    private bool _examinedAll;
    private bool _inputEnded;
    private bool _completed;
    private bool _shortNextRead;

    /// <summary>Initializes a reader of <paramref name="stream"/>, which it does not close.</summary>
    /// <param name="stream">The stream to read.</param>
    public DedicatedPipeReader(DedicatedReadStream stream) => _stream = stream;

    /// <inheritdoc/>
    public override ValueTask<ReadResult> ReadAsync(CancellationToken cancellationToken = default)
    {
        ThrowIfCompleted();
        if (_stream.ReadsCancelled)
        {
            return new ValueTask<ReadResult>(Result(isCanceled: true));
        }

        if (_inputEnded || (_end > _start && !_examinedAll))
        {
            return new ValueTask<ReadResult>(Result(isCanceled: false));
        }

        // The channel passes no token; one that can cancel costs the stream a registration per read, and works as usual.
        ValueTask<int> read = _stream.ReadAsync(Room(), cancellationToken);
        return read.IsCompletedSuccessfully ? new ValueTask<ReadResult>(Filled(read.Result)) : ReadPendingAsync(read, cancellationToken);
    }

    /// <inheritdoc/>
    public override bool TryRead(out ReadResult result)
    {
        ThrowIfCompleted();
        if (_stream.ReadsCancelled)
        {
            result = Result(isCanceled: true);
            return true;
        }

        if (_inputEnded || (_end > _start && !_examinedAll))
        {
            result = Result(isCanceled: false);
            return true;
        }

        result = default;
        return false;
    }

    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed) => AdvanceTo(consumed, consumed);

    /// <inheritdoc/>
    public override void AdvanceTo(SequencePosition consumed, SequencePosition examined)
    {
        ThrowIfCompleted();
        int consumedIndex = IndexOf(consumed);
        int examinedIndex = IndexOf(examined);
        if (consumedIndex < _start || examinedIndex < consumedIndex || examinedIndex > _end)
        {
            throw new ArgumentOutOfRangeException(nameof(consumed), "The positions are not within the last buffer read, in order.");
        }

        _start = consumedIndex;
        _examinedAll = examinedIndex == _end;
        if (_start == _end)
        {
            _start = _end = 0;
            if (_array.Length > KeptBytes)
            {
                _array = []; // one large chunk grew it: the next read takes 16 KiB again
            }
        }
    }

    /// <summary>
    /// Makes the next read take at most 1 KiB: after a large chunk the next is often large too (a stream of files, an
    /// echo), and its header then arrives with 1 KiB of its buffer to copy out rather than 16 KiB. A read that fills
    /// it is followed by reads of 16 KiB again, so small chunks after a large one cost one read more at most.
    /// </summary>
    public void ShortenNextRead() => _shortNextRead = true;

    /// <summary>Cancels the read under way and every later one: they return <see cref="ReadResult.IsCanceled"/>. For closing.</summary>
    public override void CancelPendingRead() => _stream.CancelReads();

    /// <inheritdoc/>
    public override void Complete(Exception? exception = null)
    {
        _completed = true;
        _array = []; // nothing reads it any more: the garbage collector takes it (a read abandoned in place may still write to it)
        _start = _end = 0;
    }

    private async ValueTask<ReadResult> ReadPendingAsync(ValueTask<int> read, CancellationToken cancellationToken)
    {
        int count;
        try
        {
            count = await read.ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (_stream.ReadsCancelled && !cancellationToken.IsCancellationRequested)
        {
            return Result(isCanceled: true); // CancelPendingRead; a cancel of the caller's token throws, as it should
        }

        return Filled(count);
    }

    private void ThrowIfCompleted()
    {
        if (_completed)
        {
            throw new InvalidOperationException("The reader is completed.");
        }
    }

    private ReadResult Filled(int count)
    {
        if (count == 0)
        {
            _inputEnded = true;
        }
        else
        {
            _end += count;
            _examinedAll = false;
        }

        return Result(isCanceled: false);
    }

    private ReadResult Result(bool isCanceled) =>
        new(new ReadOnlySequence<byte>(_array, _start, _end - _start), isCanceled, _inputEnded);

    /// <summary>
    /// Makes room for a read after the unconsumed bytes: moves them to the front, or to a larger array while one chunk needs
    /// more, or back to a 16 KiB array once they fit there again.
    /// </summary>
    private Memory<byte> Room()
    {
        int unconsumed = _end - _start;
        bool shrink = _array.Length > KeptBytes && unconsumed + MinimumReadBytes <= ReadBytes;
        if (_array.Length - _end < MinimumReadBytes || shrink)
        {
            byte[] target = shrink ? new byte[ReadBytes]
                : unconsumed + MinimumReadBytes <= _array.Length ? _array
                : new byte[Math.Max(ReadBytes, Math.Max(_array.Length * 2, unconsumed + MinimumReadBytes))];
            _array.AsSpan(_start, unconsumed).CopyTo(target);
            _array = target;
            _start = 0;
            _end = unconsumed;
        }

        int most = _shortNextRead ? ShortReadBytes : ReadBytes;
        _shortNextRead = false;
        return _array.AsMemory(_end, Math.Min(_array.Length - _end, most));
    }

    private int IndexOf(SequencePosition position)
    {
        if (!ReferenceEquals(position.GetObject(), _array))
        {
            throw new InvalidOperationException("The position is not one of the last buffer read.");
        }

        return position.GetInteger();
    }
}
