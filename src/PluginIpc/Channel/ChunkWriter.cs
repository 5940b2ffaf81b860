using System.Buffers;
using System.IO.Pipelines;

namespace PluginIpc;

/// <summary>Writes whole chunks to a <see cref="PipeWriter"/> or a <see cref="Stream"/>, never interleaved, coalescing the chunks of concurrent writers into one write.</summary>
/// <remarks>
/// Writers frame their chunk into a pending buffer under a short lock, so a chunk the framer rejects fails only its own
/// writer and leaves nothing behind. The first writer that finds no flush under way becomes the flusher: it hands the
/// pending buffer to the transport and keeps going while others add to it, so under load many chunks go out in one write
/// with no thread hop, and a lone writer's chunk goes out at once. A writer whose chunk may wait (a thread outside the pool
/// making many calls in a row) queues the flush to the thread pool instead, so the chunks written meanwhile go out with
/// its own; a writer whose chunk may not wait takes such a queued flush over. When the pending bytes pass a cap while a flush is under
/// way, writers wait for room. While the read loop dispatches what one read brought, it corks the writer: the answers its
/// inline handlers write go out together when it uncorks, in one write. A large chunk written when nothing is pending
/// goes out from its own memory, where the stream can write without waiting: only what the pipe does not take at once is
/// copied. Thread safe.
/// </remarks>
internal sealed class ChunkWriter
{
    private const long MaxPendingBytes = 4 * 1024 * 1024;
    private const int MaxPassesPerFlusher = 8;
    private const long MaxCorkedBytes = 64 * 1024;

    /// <summary>A chunk whose buffer has at least this many bytes is framed into one segment, so it goes out in one write.</summary>
    private const int MinContiguousBufferBytes = 4 * 1024;

    /// <summary>A chunk whose buffer has more bytes than this is framed into as many segments as it takes.</summary>
    private const int MaxContiguousBufferBytes = 1024 * 1024;

    /// <summary>
    /// A chunk whose buffer has at least this many bytes, written when nothing else is pending, goes out from where its
    /// buffer lies (a stream that can write without waiting, and a framer that writes the fields before the buffer): only
    /// what the stream does not take at once is copied.
    /// </summary>
    private const int MinDirectBufferBytes = 32 * 1024;

    /// <summary>Room for a chunk's fields besides its buffer and cmd when it is kept in one segment.</summary>
    private const int ContiguousFieldsAllowance = 128;
    private static readonly TimeSpan s_completeTimeout = TimeSpan.FromSeconds(1);
    private static readonly Action<ChunkWriter> s_runQueuedFlush = static writer => writer.RunQueuedFlush();
    private static readonly Action<Action<ChunkWriter>, ChunkWriter> s_queueToThreadPool =
        static (flush, writer) => ThreadPool.UnsafeQueueUserWorkItem(flush, writer, preferLocal: true);

    private readonly PipeWriter? _output;
    private readonly Stream? _stream;
    private readonly IChunkFramer _framer;
    private readonly IOutgoingChunkFramer? _outgoingFramer;
    private readonly IChunkPrefixWriter? _prefixWriter;
    private readonly INonBlockingWrite? _nonBlocking;

    /// <summary>The stream, when it writes without waiting: a flush of one segment is written right there.</summary>
    private readonly INonBlockingWrite? _writesNow;
    private readonly Action<Exception> _onFailure;
    private readonly ChannelTelemetry? _telemetry;

    /// <summary>Guards the pending buffer and the flush state; a writer may hold it while it frames a large chunk.</summary>
    private readonly SpinGate _gate = new(holdsMayBeLong: true);
    private SegmentedBuffer _pending = new();
    private SegmentedBuffer _sending = new();
    private int _corkThread;

    /// <summary>Whether the cork holds back a chunk: set by the corking thread, cleared when a flush starts.</summary>
    private bool _corkedChunk;
    private bool _flushing;

    /// <summary>Whether the flush under way is queued to the thread pool and has not started; a writer may take it over.</summary>
    private bool _flushQueued;
    private bool _completed;
    private bool _outputCompleted;
    private TaskCompletionSource? _room;

    /// <summary>Initializes a writer to a pipe, such as an in-memory duplex pipe.</summary>
    /// <param name="output">Where the bytes go; completed when the writer completes.</param>
    /// <param name="framer">Frames each chunk.</param>
    /// <param name="onFailure">Told when the transport fails: the connection is unusable from then on.</param>
    /// <param name="telemetry">The channel's telemetry, which counts the bytes written.</param>
    public ChunkWriter(PipeWriter output, IChunkFramer framer, Action<Exception> onFailure, ChannelTelemetry? telemetry = null)
        : this(framer, onFailure, telemetry)
    {
        _output = output;
    }

    /// <summary>Initializes a writer to a stream: batches are written to it directly. The stream's owner closes it.</summary>
    /// <param name="output">Where the bytes go.</param>
    /// <param name="framer">Frames each chunk.</param>
    /// <param name="onFailure">Told when the transport fails: the connection is unusable from then on.</param>
    /// <param name="telemetry">The channel's telemetry, which counts the bytes written.</param>
    public ChunkWriter(Stream output, IChunkFramer framer, Action<Exception> onFailure, ChannelTelemetry? telemetry = null)
        : this(framer, onFailure, telemetry)
    {
        _stream = output;
        _writesNow = output as INonBlockingWrite;
        _nonBlocking = _prefixWriter is null ? null : _writesNow;
    }

    private ChunkWriter(IChunkFramer framer, Action<Exception> onFailure, ChannelTelemetry? telemetry)
    {
        _framer = framer;
        _outgoingFramer = framer as IOutgoingChunkFramer;
        _prefixWriter = framer as IChunkPrefixWriter;
        _onFailure = onFailure;
        _telemetry = telemetry;
    }

    /// <summary>Gets how a flush is queued: to the thread pool; tests run it when they choose.</summary>
    internal Action<Action<ChunkWriter>, ChunkWriter> QueueFlush { get; init; } = s_queueToThreadPool;

    /// <summary>Frames <paramref name="chunk"/> and hands it to the transport, or to the flush under way.</summary>
    /// <param name="chunk">The chunk to write.</param>
    /// <param name="mayWait">
    /// Whether the chunk may wait for a flush queued to the thread pool rather than go out at once: the writer has other
    /// chunks in flight and will not block a pool thread on this one. The queued flush takes along what is written
    /// meanwhile, so a thread that makes many calls in a row has them written together. A writer that may not wait takes
    /// over a queued flush and writes at once, so a lone call never waits for the thread pool.
    /// </param>
    /// <returns>A task that completes when the chunk is framed and, if this writer became the flusher, written out.</returns>
    /// <exception cref="ProtocolException">The framer rejected the chunk; nothing was written.</exception>
    /// <exception cref="ArgumentException">The chunk holds a string UTF-8 cannot carry; nothing was written.</exception>
    /// <exception cref="Exception">Whatever else the framer threw (a custom framer's, or headers changed meanwhile); nothing was written.</exception>
    /// <exception cref="ChannelClosedException">The output is completed or the transport failed.</exception>
    public ValueTask WriteAsync(in OutgoingChunk chunk, bool mayWait = false) => WriteAsync(chunk, mayWait, out _);

    /// <inheritdoc cref="WriteAsync(in OutgoingChunk, bool)"/>
    /// <param name="chunk">The chunk to write.</param>
    /// <param name="cancellationToken">Ends a wait for room (nothing of the chunk is written then); a chunk framed is written whatever it says.</param>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> fired while the chunk waited for room.</exception>
    public ValueTask WriteAsync(in OutgoingChunk chunk, CancellationToken cancellationToken) => WriteAsync(chunk, mayWait: false, out _, cancellationToken);

    /// <inheritdoc cref="WriteAsync(in OutgoingChunk, bool)"/>
    /// <param name="chunk">The chunk to write.</param>
    /// <param name="mayWait">Whether the chunk may wait for a queued flush.</param>
    /// <param name="framed">
    /// Set when the chunk is in the pending bytes when this returns, so that what is written after it goes out after it; not
    /// set when it waits for room (over the cap) or failed.
    /// </param>
    public ValueTask WriteAsync(in OutgoingChunk chunk, bool mayWait, out bool framed) => WriteAsync(chunk, mayWait, out framed, CancellationToken.None);

    private ValueTask WriteAsync(in OutgoingChunk chunk, bool mayWait, out bool framed, CancellationToken cancellationToken)
    {
        Framed outcome = Frame(chunk, mayWait, out SegmentedBuffer? batch, out Exception? failure);
        framed = outcome is not (Framed.NoRoom or Framed.Failed);
        switch (outcome)
        {
            case Framed.TakenAlong:
                return default;
            case Framed.FlushNow:
                // Outside the gate: the first pass usually completes synchronously, and writers must not wait for it.
                return Flush(batch!);
            case Framed.FlushQueued:
                QueueFlush(s_runQueuedFlush, this);
                return default;
            case Framed.Direct:
                return WriteDirect(batch!, chunk.Buffer.Span);
            case Framed.NoRoom:
                return WaitForRoomThenWriteAsync(chunk, cancellationToken);
            default:
                return ValueTask.FromException(failure!);
        }
    }

    /// <summary>Frames <paramref name="chunk"/> into the pending buffer under the gate, and says who writes it out.</summary>
    /// <param name="chunk">The chunk to write.</param>
    /// <param name="mayWait">Whether the chunk may wait for a queued flush.</param>
    /// <param name="batch">With <see cref="Framed.FlushNow"/>, the pending bytes, taken for the flush that starts.</param>
    /// <param name="failure">With <see cref="Framed.Failed"/>, why.</param>
    private Framed Frame(in OutgoingChunk chunk, bool mayWait, out SegmentedBuffer? batch, out Exception? failure)
    {
        batch = null;
        failure = null;
        using (_gate.Enter())
        {
            if (_completed)
            {
                failure = new ChannelClosedException("The channel's output is closed.");
                return Framed.Failed;
            }

            if (_flushing && _pending.WrittenCount >= MaxPendingBytes)
            {
                return Framed.NoRoom;
            }

            int bufferLength = chunk.Buffer.Length;
            if (bufferLength >= MinDirectBufferBytes && _nonBlocking is not null && !_flushing && _pending.WrittenCount == 0)
            {
                // Nothing waits to go out before it: this writer becomes the flusher with the chunk's fields, and writes its buffer from where it lies.
                try
                {
                    if (_prefixWriter!.TryWritePrefix(chunk, _pending))
                    {
                        _telemetry?.RecordSent(_pending.WrittenCount + bufferLength);
                        _flushing = true;
                        batch = TakePending();
                        return Framed.Direct;
                    }
                }
                catch (Exception ex)
                {
                    _pending.Reset();
                    failure = ex;
                    return Framed.Failed;
                }
            }

            long before = _pending.WrittenCount;
            if (bufferLength is >= MinContiguousBufferBytes and <= MaxContiguousBufferBytes)
            {
                // One write() per large chunk: on a pipe each write may wake the reader, and each wake-up costs a context switch.
                _pending.ReserveContiguous(bufferLength + (chunk.Cmd?.Length ?? 0) * 3 + ContiguousFieldsAllowance);
            }

            try
            {
                if (_outgoingFramer is not null)
                {
                    _outgoingFramer.Write(chunk, _pending);
                }
                else
                {
                    _framer.Write(chunk.ToChunk(), _pending);
                }
            }
            catch (Exception ex)
            {
                // Whatever the framer wrote of this chunk goes: bytes of half a chunk would corrupt every chunk after it.
                _pending.Truncate(before);
                failure = ex;
                return Framed.Failed;
            }

            _telemetry?.RecordSent(_pending.WrittenCount - before);
            bool waits = mayWait && _pending.WrittenCount < MaxCorkedBytes;
            if (_flushing && (!_flushQueued || waits))
            {
                return Framed.TakenAlong; // The flusher under way, or queued, takes these bytes with its next pass.
            }

            if (_corkThread == Environment.CurrentManagedThreadId && _pending.WrittenCount < MaxCorkedBytes)
            {
                _corkedChunk = true;
                return Framed.TakenAlong; // Corked: the read loop flushes when it has dispatched the whole read.
            }

            bool queue = !_flushing && waits;
            _flushing = true;
            _flushQueued = queue; // When not queuing: taken over, if one was queued.
            if (queue)
            {
                return Framed.FlushQueued;
            }

            batch = TakePending();
            return Framed.FlushNow;
        }
    }

    /// <summary>
    /// Writes a chunk's fields, framed in <paramref name="prefix"/>, and then its <paramref name="body"/>, as the flusher:
    /// what the stream takes now goes from where it lies, and the rest is copied into <paramref name="prefix"/> for the
    /// flush that follows, so the caller's memory is free again when this returns.
    /// </summary>
    private ValueTask WriteDirect(SegmentedBuffer prefix, ReadOnlySpan<byte> body)
    {
        try
        {
            return WriteDirectCore(prefix, body);
        }
        catch (Exception ex) when (ex is not ChannelClosedException)
        {
            // Never leave the writer marked as flushing with nobody flushing: every later chunk would wait behind it forever.
            return ValueTask.FromException(Fail(new ChannelClosedException($"Writing to the connection failed: {ex.Message}", ex)));
        }
    }

    private ValueTask WriteDirectCore(SegmentedBuffer prefix, ReadOnlySpan<byte> body)
    {
        ReadOnlySpan<byte> fields = prefix.GetSegment(0).Span;
        int framedFields = (int)prefix.WrittenCount;
        int written = 0;
        if (prefix.SegmentCount == 1)
        {
            written = _nonBlocking!.WriteNow(fields, body); // a failure closes the channel (WriteDirect)
        }

        if (written < framedFields)
        {
            // Rare (a full pipe, or fields longer than a segment): the fields stay where they are, and the body joins them.
            if (written > 0)
            {
                byte[] rest = fields[written..].ToArray();
                prefix.Reset();
                prefix.Write(rest);
            }

            CopyRest(prefix, body);
        }
        else
        {
            prefix.Reset();
            CopyRest(prefix, body[(written - framedFields)..]);
        }

        // Chunks written meanwhile were taken along into the pending bytes: the flush writes them after this one's rest.
        return new ValueTask(FlushLoopAsync(prefix.WrittenCount == 0 ? null : prefix));
    }

    /// <summary>Writes out <paramref name="batch"/>, taken for the flush that starts, and what is written meanwhile, as the one flusher.</summary>
    private ValueTask Flush(SegmentedBuffer batch) =>
        _writesNow is not null && batch.SegmentCount == 1 ? FlushNow(batch) : new ValueTask(FlushLoopAsync(batch));

    /// <summary>
    /// Writes a flush of one segment right here, as the flusher, to a stream that writes without waiting: a lone call's
    /// chunk goes out with no asynchronous flush loop around it. The loop takes over for what the pipe does not take at
    /// once and for chunks written meanwhile.
    /// </summary>
    private ValueTask FlushNow(SegmentedBuffer batch)
    {
        ReadOnlyMemory<byte> bytes = batch.GetSegment(0);
        int written;
        try
        {
            written = _writesNow!.WriteNow(bytes.Span, default);
        }
        catch (Exception ex)
        {
            // Whatever it was, never leave the writer marked as flushing with nobody flushing (see WriteDirect).
            return ValueTask.FromException(Fail(new ChannelClosedException($"Writing to the connection failed: {ex.Message}", ex)));
        }

        if (written < bytes.Length)
        {
            return new ValueTask(FlushRestAsync(batch, written));
        }

        batch.Reset();
        bool more;
        using (_gate.Enter())
        {
            more = _pending.WrittenCount > 0;
            _flushing = more;
        }

        if (more)
        {
            return new ValueTask(FlushLoopAsync()); // written meanwhile: the loop goes on with them, as after its first pass
        }

        SignalRoom();
        return default;
    }

    /// <summary>Writes what the stream did not take of a flush of one segment at once, then goes on as the flush loop.</summary>
    private async Task FlushRestAsync(SegmentedBuffer batch, int written)
    {
        try
        {
            await _stream!.WriteAsync(batch.GetSegment(0)[written..]).ConfigureAwait(false);
            batch.Reset();
        }
        catch (Exception ex)
        {
            throw Fail(new ChannelClosedException($"Writing to the connection failed: {ex.Message}", ex));
        }

        await FlushLoopAsync().ConfigureAwait(false);
    }

    /// <summary>Copies what the stream did not take of a buffer for the flush, in one segment as far as it may be, so it goes out in as few writes as a framed chunk.</summary>
    private static void CopyRest(SegmentedBuffer batch, ReadOnlySpan<byte> rest)
    {
        if (rest.Length is > 0 and <= MaxContiguousBufferBytes)
        {
            batch.ReserveContiguous(rest.Length);
        }

        batch.Write(rest);
    }

    /// <summary>Holds back the writes made on this thread until <see cref="Uncork"/>, up to 64 KiB, so they go out in one write.</summary>
    public void Cork() => Volatile.Write(ref _corkThread, Environment.CurrentManagedThreadId);

    /// <summary>Ends this thread's <see cref="Cork"/>, if it still holds it, and starts writing what the cork held back.</summary>
    public void Uncork()
    {
        Interlocked.CompareExchange(ref _corkThread, 0, Environment.CurrentManagedThreadId);
        if (_corkedChunk)
        {
            // Only the corking thread holds chunks back, and it set this itself; other writers' chunks are a flusher's.
            FlushPending();
        }
    }

    /// <summary>Ends the cork whichever thread holds it, and starts writing what is pending.</summary>
    public void ReleaseCork()
    {
        Volatile.Write(ref _corkThread, 0);
        FlushPending();
    }

    /// <summary>Writes out what is pending (unless <paramref name="error"/> is set) and completes the output; later writes fail. Safe to call more than once; never throws.</summary>
    public async ValueTask CompleteAsync(Exception? error)
    {
        bool flushCorked;
        using (_gate.Enter())
        {
            if (_outputCompleted)
            {
                return;
            }

            _outputCompleted = true;
            _completed = true;
            _corkThread = 0;

            // Corked bytes with no flush under way: write them out before the end.
            flushCorked = error is null && (!_flushing || _flushQueued) && _pending.WrittenCount > 0;
            _flushing |= flushCorked;
            _flushQueued = false;
        }

        if (flushCorked)
        {
            FlushLoopAsync().Forget();
        }

        if (error is not null)
        {
            _output?.CancelPendingFlush();
        }

        // The flusher drains what is pending and stops. One stuck on a peer that no longer reads must not hold the close
        // forever: after the timeout its flush is cancelled, and the output is completed regardless, so the peer sees the end.
        if (!await WaitForFlusherAsync(s_completeTimeout).ConfigureAwait(false))
        {
            _output?.CancelPendingFlush();
            await WaitForFlusherAsync(s_completeTimeout).ConfigureAwait(false);
        }

        try
        {
            if (_output is not null)
            {
                await _output.CompleteAsync(error).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
        {
            // The transport is gone or stuck; there is nobody left to deliver to.
        }

        SignalRoom();
    }

    /// <summary>Starts a flush of what is pending unless one is under way. Does not wait for it: a failure reaches the channel through the failure callback.</summary>
    private void FlushPending()
    {
        SegmentedBuffer batch;
        using (_gate.Enter())
        {
            if ((_flushing && !_flushQueued) || _completed || _pending.WrittenCount == 0)
            {
                return;
            }

            _flushing = true;
            _flushQueued = false; // Taken over, if one was queued.
            batch = TakePending();
        }

        // Most often the read loop uncorking: the answers to one read go out right there, as a lone writer's chunk does.
        ValueTask flushed = Flush(batch);
        if (!flushed.IsCompletedSuccessfully)
        {
            flushed.AsTask().Forget(); // a failure reached the channel through Fail
        }
    }

    /// <summary>Runs the flush a writer queued, unless another writer took it over meanwhile.</summary>
    private void RunQueuedFlush()
    {
        using (_gate.Enter())
        {
            if (!_flushQueued)
            {
                return;
            }

            _flushQueued = false;
        }

        FlushLoopAsync().Forget();
    }

    /// <summary>Waits until no flush is under way; <see langword="false"/> if one still is after <paramref name="timeout"/>.</summary>
    private async Task<bool> WaitForFlusherAsync(TimeSpan timeout)
    {
        using var deadline = new CancellationTokenSource(timeout);
        while (true)
        {
            Task room;
            using (_gate.Enter())
            {
                if (!_flushing)
                {
                    return true;
                }

                room = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            try
            {
                await room.WaitAsync(deadline.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                return false;
            }
        }
    }

    /// <summary>Takes the pending bytes for a flush, leaving an empty buffer to write to; call under the gate.</summary>
    private SegmentedBuffer TakePending()
    {
        SegmentedBuffer batch = _pending;
        _pending = _sending;
        _sending = batch;
        _corkedChunk = false; // What the cork held back goes out with this batch.
        return batch;
    }

    /// <summary>Writes out pending bytes until there are none left, as the one flusher.</summary>
    /// <param name="first">The bytes its starter took from the pending buffer under the gate, or null for it to take them.</param>
    private async Task FlushLoopAsync(SegmentedBuffer? first = null)
    {
        // The writer that starts the loop returns to its caller once its own bytes are out, as a lone writer would; under a
        // steady stream of writers, the loop moves to the thread pool after a few passes so that no caller flushes forever.
        for (int pass = 0; ; pass++)
        {
            SegmentedBuffer? batch = first;
            first = null;
            if (batch is null)
            {
                using (_gate.Enter())
                {
                    if (_pending.WrittenCount == 0)
                    {
                        _flushing = false;
                        break;
                    }

                    if (pass == MaxPassesPerFlusher)
                    {
                        Task.Run(() => FlushLoopAsync()).Forget(); // Still flushing: the loop goes on on the thread pool; a failure is reported through Fail.
                        return;
                    }

                    batch = TakePending();
                }
            }

            SignalRoom();
            FlushResult result = default;
            try
            {
                if (_stream is not null)
                {
                    for (int i = 0; i < batch.SegmentCount; i++)
                    {
                        await _stream.WriteAsync(batch.GetSegment(i)).ConfigureAwait(false);
                    }

                    await _stream.FlushAsync().ConfigureAwait(false);
                    batch.Reset();
                }
                else
                {
                    batch.CopyTo(_output!);
                    batch.Reset();
                    result = await _output!.FlushAsync().ConfigureAwait(false);
                }
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                throw Fail(new ChannelClosedException($"Writing to the connection failed: {ex.Message}", ex));
            }

            if (result.IsCompleted)
            {
                throw Fail(new ChannelClosedException("The other side stopped reading."));
            }

            if (result.IsCanceled)
            {
                using (_gate.Enter())
                {
                    if (_completed)
                    {
                        _flushing = false;
                        break; // Closing: what is left is abandoned.
                    }
                }
            }
        }

        SignalRoom();
    }

    private ChannelClosedException Fail(ChannelClosedException failure)
    {
        using (_gate.Enter())
        {
            _completed = true;
            _flushing = false;
            _flushQueued = false;
            _pending.Reset();
        }

        SignalRoom();
        _onFailure(failure);
        return failure;
    }

    private async ValueTask WaitForRoomThenWriteAsync(OutgoingChunk chunk, CancellationToken cancellationToken)
    {
        while (true)
        {
            Task room;
            using (_gate.Enter())
            {
                if (_completed || !_flushing || _pending.WrittenCount < MaxPendingBytes)
                {
                    break;
                }

                room = (_room ??= new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).Task;
            }

            await room.WaitAsync(cancellationToken).ConfigureAwait(false);
        }

        await WriteAsync(chunk, mayWait: false, out _, cancellationToken).ConfigureAwait(false);
    }

    private void SignalRoom()
    {
        if (Volatile.Read(ref _room) is null)
        {
            return; // Nobody waits: writers that start waiting check again under the lock.
        }

        TaskCompletionSource? room;
        using (_gate.Enter())
        {
            room = _room;
            _room = null;
        }

        room?.TrySetResult();
    }

    /// <summary>What became of a framed chunk.</summary>
    private enum Framed
    {
        /// <summary>A flush under way or queued, or the cork, takes it along.</summary>
        TakenAlong,

        /// <summary>This writer flushes it, now.</summary>
        FlushNow,

        /// <summary>This writer flushes it now, its fields framed and its buffer written from where it lies.</summary>
        Direct,

        /// <summary>This writer queues a flush for it to the thread pool.</summary>
        FlushQueued,

        /// <summary>The pending bytes are over the cap: the writer waits for room, then frames it.</summary>
        NoRoom,

        /// <summary>It was not framed: the output is closed, or the framer rejected it.</summary>
        Failed,
    }
}
