using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.Versioning;
using System.Threading.Tasks.Sources;
using Microsoft.Win32.SafeHandles;

namespace PluginIpc;

/// <summary>
/// Reads a pipe with blocking reads on a thread of its own, and runs the reader's continuation right there: a chunk that
/// arrives wakes one thread, which reads, dispatches and answers, as a hand-written blocking loop would. Read-only.
/// </summary>
/// <remarks>
/// A read asked for by that continuation (the next read of a read loop) is done right there, blocking, and returns
/// completed: the loop goes on in the same frame, with none of the layers of an asynchronous completion between the
/// system call and the dispatch (about a tenth of a round trip, issue 29). So whoever asks for a read on the reading
/// thread must be the read loop, with nothing else to do until the data comes. A read asked for from any other thread
/// (a read loop that took over from one held up by slow code) gets an idle thread or a new one, so a stuck continuation
/// never stops reading. Idle threads end after a while. Cancelling a read ends an asynchronous read's wait at once; a read
/// blocked on the reading thread is marked abandoned (<see cref="HasAbandonedRead"/>) and returns cancelled when the
/// system call returns. Either way the blocking read still takes what arrives next, and those bytes are lost: cancel only
/// when the stream is being closed. A read done for another thread goes into an array of the reading thread's own, copied
/// to the reader's buffer only while the read is still wanted: a cancelled read never writes to a buffer its reader has
/// handed on. <see cref="CancelReads"/> cancels the read under way and every later one, without a token: the channel's
/// own reader (<see cref="DedicatedPipeReader"/>) reads with no token, so a read in place costs no registration, and
/// cancels only to close. Not for several reads at once.
/// </remarks>
internal sealed class DedicatedReadStream : Stream, IValueTaskSource<int>
{
    private const int NotReadingInline = 0;
    private const int ReadingInline = 1;
    private const int InlineReadAbandoned = 2;

    /// <summary>The most a read on the asynchronous path takes at once: the channel's pipe reader asks for no more, and a longer read returns less.</summary>
    private const int ScratchBytes = 16 * 1024;

    [ThreadStatic]
    private static DedicatedReadStream? t_completing;

    private static readonly Action<object?> s_abandonInlineRead = static state => ((DedicatedReadStream)state!).AbandonInlineRead();

    private readonly Stream _inner;
    private readonly SafeFileHandle? _descriptor; // read with plain read calls when set: a FileStream read costs a few layers more
    private readonly IDisposable? _closeWith;
    private readonly string _threadName;
    private readonly object _gate = new(); // a monitor: idle threads wait on it
    private ManualResetValueTaskSourceCore<int> _core; // continuations run on the reading thread
    private Memory<byte> _buffer;
    private CancellationTokenRegistration _cancellation;
    private bool _settled = true;
    private bool _requested;
    private IdleThreads _idleThreads;
    private bool _disposed;
    private long _busyPollTicks;
    private int _inlineRead; // NotReadingInline, ReadingInline or InlineReadAbandoned
    private int _readsCancelled; // set by CancelReads, for good

    /// <summary>Initializes a stream that reads <paramref name="inner"/> with blocking reads.</summary>
    /// <param name="inner">
    /// A stream whose synchronous reads block until data arrives, and whose disposal does not wait for a read in progress,
    /// such as a <see cref="FileStream"/> over a pipe (not a <see cref="System.IO.Pipes.PipeStream"/>, whose disposal waits
    /// for a blocked read to end); owned.
    /// </param>
    /// <param name="threadName">The name of the reading threads.</param>
    /// <param name="closeWith">Disposed with this stream, such as the stream whose descriptor <paramref name="inner"/> reads a duplicate of.</param>
    public DedicatedReadStream(Stream inner, string threadName, IDisposable? closeWith = null)
        : this(inner, threadName, closeWith, descriptor: null)
    {
    }

    private DedicatedReadStream(Stream inner, string threadName, IDisposable? closeWith, SafeFileHandle? descriptor)
    {
        _inner = inner;
        _descriptor = descriptor;
        _threadName = threadName;
        _closeWith = closeWith;
    }

    /// <summary>Creates a stream that reads descriptor <paramref name="fd"/> (such as a pipe's read end) with blocking reads.</summary>
    /// <param name="fd">The descriptor; owned: closed when the stream is disposed and no read is blocked on it any more.</param>
    /// <param name="threadName">The name of the reading threads.</param>
    /// <param name="closeWith">Disposed with this stream, such as the stream <paramref name="fd"/> is a duplicate of.</param>
    /// <returns>The stream.</returns>
    public static DedicatedReadStream ForDescriptor(int fd, string threadName, IDisposable? closeWith = null)
    {
        // The FileStream owns and closes the descriptor; a read in progress holds the handle open meanwhile.
        var descriptor = new SafeFileHandle(fd, ownsHandle: true);
        return new(new FileStream(descriptor, FileAccess.Read, bufferSize: 0), threadName, closeWith, descriptor);
    }

    /// <summary>
    /// Gets or sets how long a read of a descriptor first checks for input without blocking (see
    /// <see cref="ChannelOptions.BusyPollTime"/>); zero, and any value on a machine or process with one CPU, blocks at once.
    /// </summary>
    public TimeSpan BusyPollTime
    {
        get => Stopwatch.GetElapsedTime(0, Volatile.Read(ref _busyPollTicks));
        set => Volatile.Write(ref _busyPollTicks, Environment.ProcessorCount > 1 && value > TimeSpan.Zero ? (long)(value.TotalSeconds * Stopwatch.Frequency) : 0);
    }

    /// <summary>
    /// Gets whether a read blocked on the reading thread was cancelled while it waited: it returns cancelled and drops what
    /// it reads, so the read loop that asked for it dispatches nothing more.
    /// </summary>
    public bool HasAbandonedRead => Volatile.Read(ref _inlineRead) == InlineReadAbandoned;

    /// <inheritdoc/>
    public override bool CanRead => true;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => false;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc/>
    public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled<int>(cancellationToken);
        }

        if (t_completing == this)
        {
            return ReadInline(buffer, cancellationToken);
        }

        short version;
        lock (_gate)
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (!_settled || _requested)
            {
                throw new InvalidOperationException("Only one read at a time.");
            }

            _core.Reset();
            version = _core.Version;
            _settled = false;
            _buffer = buffer;
        }

        _cancellation = cancellationToken.UnsafeRegister(static (state, token) => ((DedicatedReadStream)state!).Cancel(token), this);
        bool startThread = false;
        bool cancelled = false;
        lock (_gate)
        {
            // Under the gate, as CancelReads' check of the read: one of the two sees the other.
            if (!_settled && Volatile.Read(ref _readsCancelled) != 0)
            {
                _settled = true;
                cancelled = true;
            }
            else if (!_settled)
            {
                _requested = true;
                startThread = _idleThreads.Wake(_gate);
            }
        }

        if (cancelled)
        {
            _core.SetException(new OperationCanceledException("The stream's reads were cancelled."));
        }

        if (startThread)
        {
            // UnsafeStart: the thread must not keep the context (activity, async locals) of whichever read started it.
            new Thread(static state => ((DedicatedReadStream)state!).ReadLoop()) { IsBackground = true, Name = _threadName }.UnsafeStart(this);
        }

        return new ValueTask<int>(this, version);
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => _inner.Read(buffer, offset, count);

    /// <inheritdoc/>
    public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    int IValueTaskSource<int>.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource<int>.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource<int>.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            lock (_gate)
            {
                _disposed = true;
                Monitor.PulseAll(_gate);
            }

            _inner.Dispose(); // a read still blocked keeps the descriptor until it returns; this does not wait for it
            _closeWith?.Dispose();
        }

        base.Dispose(disposing);
    }

    private void ReadLoop()
    {
        // A cancelled read still takes what arrives next, when its reader may have handed its buffer on (a pipe reader
        // returns its arrays to the pool): so this thread reads into an array of its own, copied out only for a live read.
        byte[] scratch = new byte[ScratchBytes];
        while (TakeRequest(out Memory<byte> buffer, out short version))
        {
            int count = 0;
            Exception? failure = null;
            try
            {
                count = ReadBlocking(scratch.AsSpan(0, Math.Min(buffer.Length, scratch.Length)));
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            Complete(version, scratch.AsSpan(0, count), buffer, failure);
        }
    }

    /// <summary>Gets whether <see cref="CancelReads"/> was called: every read returns cancelled from then on.</summary>
    internal bool ReadsCancelled => Volatile.Read(ref _readsCancelled) != 0;

    /// <summary>
    /// Cancels the read under way and every later one, as a cancelled token would each: they return
    /// <see cref="OperationCanceledException"/> (a read blocked in place, once its system call returns). For closing: a
    /// cancel that ended only one read could be taken by a read that had already ended and so cancel the next as well.
    /// </summary>
    internal void CancelReads()
    {
        Interlocked.Exchange(ref _readsCancelled, 1); // a full fence: a read marked in place before this sees it after
        AbandonInlineRead();
        lock (_gate)
        {
            if (_settled)
            {
                return; // no read on the asynchronous path
            }

            _settled = true;
            _requested = false; // a thread that has not taken it yet does not read for it
        }

        // Its token's registration is left to be replaced with the next read's, as when a token cancels it.
        _core.SetException(new OperationCanceledException("The stream's reads were cancelled."));
    }

    /// <summary>Does a read asked for by the continuation this thread runs: blocking, right here.</summary>
    private ValueTask<int> ReadInline(Memory<byte> buffer, CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _disposed))
        {
            return ValueTask.FromException<int>(new ObjectDisposedException(GetType().FullName));
        }

        // Marked before registering: a token cancelled meanwhile runs the callback at once, which must find the mark; and
        // with a full fence before the check of CancelReads' flag, which that sets before it looks for the mark.
        Interlocked.Exchange(ref _inlineRead, ReadingInline);
        if (Volatile.Read(ref _readsCancelled) != 0)
        {
            AbandonInlineRead();
        }

        int count = 0;
        Exception? failure = null;
        CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(s_abandonInlineRead, this);
        try
        {
            if (Volatile.Read(ref _inlineRead) != InlineReadAbandoned) // cancelled since the check on entry: do not block
            {
                count = ReadBlocking(buffer.Span);
            }
        }
        catch (Exception ex)
        {
            failure = ex;
        }

        registration.Dispose(); // waits for a callback under way, so the mark below is final
        if (Interlocked.Exchange(ref _inlineRead, NotReadingInline) == InlineReadAbandoned)
        {
            // What it read is dropped (see remarks).
            return cancellationToken.IsCancellationRequested
                ? ValueTask.FromCanceled<int>(cancellationToken)
                : ValueTask.FromException<int>(new OperationCanceledException("The stream's reads were cancelled."));
        }

        return failure is null ? new ValueTask<int>(count) : ValueTask.FromException<int>(failure);
    }

    private void AbandonInlineRead() => Interlocked.CompareExchange(ref _inlineRead, InlineReadAbandoned, ReadingInline);

    private int ReadBlocking(Span<byte> buffer)
    {
        if (_descriptor is not null && (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()))
        {
            BusyPoll(_descriptor);
            return UnixNative.Read(_descriptor, buffer);
        }

        return _inner.Read(buffer);
    }

    /// <summary>Checks for input without blocking for up to <see cref="BusyPollTime"/>, so that a chunk arriving meanwhile finds this thread still running.</summary>
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    private void BusyPoll(SafeFileHandle descriptor)
    {
        long ticks = Volatile.Read(ref _busyPollTicks);
        if (ticks == 0)
        {
            return;
        }

        long until = Stopwatch.GetTimestamp() + ticks;
        while (!UnixNative.HasInput(descriptor) && Stopwatch.GetTimestamp() < until)
        {
            Thread.SpinWait(20); // a pause between the checks, each of which is a system call
        }
    }

    /// <summary>Waits for the next read: one this thread was asked for while completing, or one handed to an idle thread.</summary>
    /// <returns><see langword="false"/> when the stream closed or no read came for a while: the thread ends.</returns>
    private bool TakeRequest(out Memory<byte> buffer, out short version)
    {
        lock (_gate)
        {
            // The continuation this thread ran did its next reads in place and is done with them (it awaits something
            // else, or ended): reads asked for from other threads come to an idle thread, or to a new one.
            if (!_idleThreads.WaitForWork(_gate, ref _requested, ref _disposed))
            {
                buffer = default;
                version = 0;
                return false;
            }

            _requested = false;
            buffer = _buffer;
            _buffer = default;
            version = _core.Version;
            return true;
        }
    }

    /// <summary>Completes read <paramref name="version"/> with <paramref name="read"/>, running the reader's continuation on this thread, unless it was cancelled.</summary>
    private void Complete(short version, ReadOnlySpan<byte> read, Memory<byte> buffer, Exception? failure)
    {
        lock (_gate)
        {
            if (_settled || version != _core.Version)
            {
                return; // cancelled meanwhile: what was read is dropped (see remarks)
            }

            _settled = true;
        }

        _cancellation.Dispose();
        t_completing = this;
        try
        {
            if (failure is null && TryCopy(read, buffer, out failure))
            {
                _core.SetResult(read.Length);
            }
            else
            {
                _core.SetException(failure);
            }
        }
        finally
        {
            t_completing = null;
        }
    }

    /// <summary>Copies a settled read's bytes to its reader's buffer, which the reader still owns and waits for.</summary>
    private static bool TryCopy(ReadOnlySpan<byte> read, Memory<byte> buffer, [NotNullWhen(false)] out Exception? failure)
    {
        try
        {
            read.CopyTo(buffer.Span); // a buffer over a memory manager may throw here: the reader gets it, not this thread
            failure = null;
            return true;
        }
        catch (Exception ex)
        {
            failure = ex;
            return false;
        }
    }

    private void Cancel(CancellationToken token)
    {
        lock (_gate)
        {
            if (_settled)
            {
                return;
            }

            _settled = true;
            _requested = false; // a thread that has not taken it yet does not read for it
        }

        _core.SetException(new OperationCanceledException(token));
    }
}
