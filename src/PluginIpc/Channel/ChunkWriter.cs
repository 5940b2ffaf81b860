using System.Diagnostics.CodeAnalysis;
using System.IO.Pipelines;

namespace PluginIpc;

/// <summary>Writes whole chunks to a <see cref="PipeWriter"/>, one at a time, and coalesces flushes under load.</summary>
/// <remarks>
/// Each writer frames its own chunk under the lock, so a chunk the framer rejects fails only its own caller.
/// A writer that sees others waiting leaves the flush to them: in a burst, the last one flushes for all.
/// Thread safe.
/// </remarks>
[SuppressMessage("Reliability", "CA1001", Justification = "The semaphore never allocates a wait handle; there is nothing to dispose.")]
internal sealed class ChunkWriter
{
    private readonly PipeWriter _output;
    private readonly IChunkFramer _framer;
    private readonly SemaphoreSlim _lock = new(1, 1);
    private readonly Action<Exception> _onFailure;
    private readonly string? _name;
    private static readonly TimeSpan s_flushTimeout = TimeSpan.FromSeconds(1);
    private int _waiting;
    private bool _completed;

    /// <param name="output">Where the bytes go.</param>
    /// <param name="framer">Frames each chunk.</param>
    /// <param name="onFailure">Told when the transport fails: the connection is unusable from then on.</param>
    /// <param name="name">The channel's name, for the bytes-sent metric.</param>
    public ChunkWriter(PipeWriter output, IChunkFramer framer, Action<Exception> onFailure, string? name = null)
    {
        _output = output;
        _framer = framer;
        _onFailure = onFailure;
        _name = name;
    }

    /// <summary>Frames <paramref name="chunk"/> and hands it to the transport.</summary>
    /// <exception cref="ProtocolException">The framer rejected the chunk; nothing was written.</exception>
    /// <exception cref="ChannelClosedException">The output is completed or the reader went away.</exception>
    public async ValueTask WriteAsync(Chunk chunk)
    {
        // The wait is not cancellable: a writer that leaves after others skipped their flush for it would strand their bytes.
        Interlocked.Increment(ref _waiting);
        Task acquire = _lock.WaitAsync();
        if (!acquire.IsCompletedSuccessfully)
        {
            await acquire.ConfigureAwait(false);
        }

        Interlocked.Decrement(ref _waiting);
        try
        {
            if (_completed)
            {
                throw new ChannelClosedException("The channel's output is closed.");
            }

            Exception? rejected = null;
            try
            {
                long mark = ChannelTelemetry.MarkSent(_output);
                _framer.Write(chunk, _output);
                ChannelTelemetry.RecordSent(_name, _output, mark);
            }
            catch (Exception ex) when (ex is ProtocolException or ArgumentException)
            {
                // The framer wrote nothing; but earlier writers may have left their bytes for this one to flush.
                rejected = ex;
            }

            if (Volatile.Read(ref _waiting) > 0)
            {
                ThrowIfRejected(rejected);
                return; // The next writer flushes these bytes with its own.
            }

            FlushResult result;
            try
            {
                result = await _output.FlushAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is IOException or ObjectDisposedException or InvalidOperationException or OperationCanceledException)
            {
                var failure = new ChannelClosedException($"Writing to the connection failed: {ex.Message}", ex);
                _onFailure(failure);
                throw failure;
            }

            if (result.IsCompleted)
            {
                var failure = new ChannelClosedException("The other side stopped reading.");
                _onFailure(failure);
                throw failure;
            }

            ThrowIfRejected(rejected);
        }
        finally
        {
            _lock.Release();
        }
    }

    private static void ThrowIfRejected(Exception? rejected)
    {
        if (rejected is not null)
        {
            System.Runtime.ExceptionServices.ExceptionDispatchInfo.Throw(rejected);
        }
    }

    /// <summary>Flushes what is written (unless <paramref name="error"/> is set) and completes the output; later writes fail. Safe to call more than once; never throws.</summary>
    public async ValueTask CompleteAsync(Exception? error)
    {
        // A flush stuck on a peer that no longer reads must not hold the lock forever.
        if (error is not null || !await _lock.WaitAsync(s_flushTimeout).ConfigureAwait(false))
        {
            _output.CancelPendingFlush();
            await _lock.WaitAsync().ConfigureAwait(false);
        }

        try
        {
            if (_completed)
            {
                return;
            }

            _completed = true;
            if (error is null)
            {
                await _output.FlushAsync().AsTask().WaitAsync(s_flushTimeout).ConfigureAwait(false);
            }

            await _output.CompleteAsync(error).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or IOException or InvalidOperationException or ObjectDisposedException)
        {
            // The transport is gone or stuck; there is nobody left to deliver to.
        }
        finally
        {
            _lock.Release();
        }
    }
}
