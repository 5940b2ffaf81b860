using System.Runtime.InteropServices;
using System.Runtime.Versioning;
using System.Threading.Tasks.Sources;

namespace PluginIpc;

/// <summary>
/// Writes what a full non-blocking pipe did not take, from a thread of its own that waits for room in <c>poll</c>: the
/// kernel wakes that one thread when the reader drains the pipe, and it runs the writer's continuation right there, as a
/// blocking write would have returned to it. One write at a time; idle threads end after a while.
/// </summary>
/// <remarks>
/// The pipe stream's own asynchronous write waits through the runtime's socket layer instead: an event thread and then a
/// thread-pool thread per wake-up, which spins for more work afterwards; on one CPU that took a quarter of a 1 MiB echo's
/// time. A write asked for while this thread still runs a continuation goes to another thread (a second one, started
/// once and then kept idle with the first), so code that holds up, or waits in, a continuation never stops the writes it
/// waits for. Such threads stay until they have been idle for a while: as many as continuations blocked at once.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class PipeDrainWriter : IValueTaskSource, IDisposable
{
    private const int DisposedCheckMilliseconds = 100; // a wait for room on a pipe nobody reads notices disposal and cancellation this often

    private readonly SafeHandle _handle;
    private readonly object _gate = new(); // a monitor: idle threads wait on it
    private ManualResetValueTaskSourceCore<bool> _core; // continuations run on the writing thread
    private ReadOnlyMemory<byte> _rest;
    private CancellationToken _restCancellation;
    private bool _pending;
    private bool _requested;
    private IdleThreads _idleThreads;
    private bool _disposed; // read without the gate only by a writing thread, which then stops (Volatile.Read)

    /// <summary>Initializes a writer for <paramref name="handle"/>, a pipe's write end in non-blocking mode (not owned).</summary>
    public PipeDrainWriter(SafeHandle handle) => _handle = handle;

    /// <summary>Writes all of <paramref name="bytes"/>, waiting for room as often as it takes.</summary>
    /// <param name="bytes">What to write; not touched any more once the returned task completes.</param>
    /// <param name="cancellationToken">
    /// Ends a wait for room within a tenth of a second; the bytes already written stay in the pipe, so cancel only when the
    /// stream is being closed.
    /// </param>
    /// <returns>
    /// A task that completes when the pipe took the last byte, or fails with the write's error (<see cref="ObjectDisposedException"/>
    /// once this writer is disposed, <see cref="IOException"/> when no thread could be started).
    /// </returns>
    public ValueTask WriteAsync(ReadOnlyMemory<byte> bytes, CancellationToken cancellationToken = default)
    {
        if (bytes.IsEmpty)
        {
            return default;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        short version;
        bool startThread = false;
        lock (_gate)
        {
            if (_disposed)
            {
                return ValueTask.FromException(new ObjectDisposedException(nameof(PipeDrainWriter)));
            }

            if (_pending)
            {
                throw new InvalidOperationException("Only one write at a time.");
            }

            _core.Reset();
            version = _core.Version;
            _rest = bytes;
            _restCancellation = cancellationToken;
            _pending = true;
            _requested = true;
            // Not left for the thread that runs the last write's continuation, even when this is that thread: that continuation
            // may go on into its caller's code, which could wait for this write.
            startThread = _idleThreads.Wake(_gate);
        }

        if (startThread)
        {
            try
            {
                // UnsafeStart: the thread must not keep the context (activity, async locals) of whichever write started it.
                new Thread(static state => ((PipeDrainWriter)state!).Run()) { IsBackground = true, Name = "PluginIpc pipe writer" }.UnsafeStart(this);
            }
            catch (Exception ex)
            {
                // Such as a process at its thread limit: this write fails, and the writer is free for the next one.
                lock (_gate)
                {
                    _pending = false;
                    _requested = false;
                    _rest = default;
                    _restCancellation = default;
                }

                return ValueTask.FromException(new IOException($"Cannot start a thread to write to the pipe: {ex.Message}", ex));
            }
        }

        return new ValueTask(this, version);
    }

    /// <summary>Ends the threads; a write still waiting for room fails within a tenth of a second.</summary>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            Monitor.PulseAll(_gate);
        }
    }

    void IValueTaskSource.GetResult(short token) => _core.GetResult(token);

    ValueTaskSourceStatus IValueTaskSource.GetStatus(short token) => _core.GetStatus(token);

    void IValueTaskSource.OnCompleted(Action<object?> continuation, object? state, short token, ValueTaskSourceOnCompletedFlags flags) =>
        _core.OnCompleted(continuation, state, token, flags);

    private void Run()
    {
        while (TakeRequest(out ReadOnlyMemory<byte> bytes, out CancellationToken cancellationToken))
        {
            Exception? failure = null;
            try
            {
                WriteAll(bytes.Span, cancellationToken);
            }
            catch (Exception ex)
            {
                failure = ex;
            }

            Complete(failure);
        }
    }

    private void WriteAll(ReadOnlySpan<byte> bytes, CancellationToken cancellationToken)
    {
        while (true)
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
            bytes = bytes[UnixNative.WriteNonBlocking(_handle, bytes)..];
            if (bytes.IsEmpty)
            {
                return;
            }

            while (!UnixNative.WaitUntilWritable(_handle, DisposedCheckMilliseconds))
            {
                ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed), this);
                cancellationToken.ThrowIfCancellationRequested();
            }
        }
    }

    /// <summary>Completes the write, running the writer's continuation on this thread.</summary>
    private void Complete(Exception? failure)
    {
        lock (_gate)
        {
            _pending = false; // the continuation may ask for the next write at once
        }

        if (failure is null)
        {
            _core.SetResult(true);
        }
        else
        {
            _core.SetException(failure);
        }
    }

    /// <returns><see langword="false"/> when this writer was disposed or no write came for a while: the thread ends.</returns>
    private bool TakeRequest(out ReadOnlyMemory<byte> bytes, out CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (!_idleThreads.WaitForWork(_gate, ref _requested, ref _disposed))
            {
                bytes = default;
                cancellationToken = default;
                return false;
            }

            _requested = false;
            bytes = _rest;
            cancellationToken = _restCancellation;
            _rest = default;
            _restCancellation = default;
            return true;
        }
    }
}
