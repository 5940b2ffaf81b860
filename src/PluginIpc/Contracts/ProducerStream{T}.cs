using System.Buffers;
using System.Runtime.ExceptionServices;

namespace PluginIpc.Contracts;

/// <summary>One contract stream on its producer's side: the target's enumerator, read a window at a time.</summary>
internal sealed class ProducerStream<T> : ProducerStream
{
    private readonly StreamProducers _owner;
    private readonly IAsyncEnumerator<T> _enumerator;
    private readonly CancellationTokenSource _cancellation;
    private readonly IPluginSerializer _serializer;
    private readonly string _cmd;
    private readonly ITimer _idle;

    /// <summary>A move to the next item that had not completed when the last batch went out.</summary>
    private ValueTask<bool>? _parked;

    /// <summary>A failure that came after items already in a batch: the next request gets it.</summary>
    private ExceptionDispatchInfo? _fault;
    private int _busy;
    private int _endRequested;
    private int _ended;

    public ProducerStream(StreamProducers owner, long id, IAsyncEnumerator<T> enumerator, CancellationTokenSource cancellation, IPluginSerializer serializer, string cmd, Channel? connection)
        : base(id, connection)
    {
        _owner = owner;
        _enumerator = enumerator;
        _cancellation = cancellation;
        _serializer = serializer;
        _cmd = cmd;
        _idle = owner.TimeProvider.CreateTimer(static state => ((ProducerStream<T>)state!).RequestEnd(), this, Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan);
    }

    /// <inheritdoc/>
    public override async ValueTask<ReadOnlyMemory<byte>> NextAsync(int window, bool first, CancellationToken requestToken)
    {
        if (Interlocked.Exchange(ref _busy, 1) == 1)
        {
            throw new RemoteException(ErrorCodes.InvalidRequest, $"Stream {Id} of '{_cmd}' is already answering a request; ask for the next items when the last ones have come.");
        }

        if (Volatile.Read(ref _endRequested) == 1)
        {
            Volatile.Write(ref _busy, 0);
            throw new RemoteException(ErrorCodes.InvalidRequest, $"Stream {Id} of '{_cmd}' has ended.");
        }

        bool done = false;
        try
        {
            _idle.Change(Timeout.InfiniteTimeSpan, Timeout.InfiniteTimeSpan); // throws if the stream ended meanwhile: answered as a failure
            if (_fault is { } fault)
            {
                done = true;
                fault.Throw();
            }

            var items = new ArrayBufferWriter<byte>(256);
            int count = 0;
            using (requestToken.UnsafeRegister(static state => ((ProducerStream<T>)state!).RequestEnd(), this))
            {
                while (count < window && items.WrittenCount < StreamProducers.MaxBatchBytes && Volatile.Read(ref _endRequested) == 0)
                {
                    ValueTask<bool> move = _parked ?? _enumerator.MoveNextAsync();
                    _parked = null;
                    if (!move.IsCompleted && (first || count > 0))
                    {
                        _parked = move; // what is ready goes out now; the rest comes with the next request
                        break;
                    }

                    bool moved;
                    try
                    {
                        moved = await move.ConfigureAwait(false);
                    }
                    catch (Exception ex) when (count > 0)
                    {
                        _fault = ExceptionDispatchInfo.Capture(ex); // the items before it go out first
                        break;
                    }

                    if (!moved)
                    {
                        done = true;
                        break;
                    }

                    if (count++ > 0)
                    {
                        _serializer.WriteArraySeparator(items);
                    }

                    _serializer.Serialize(items, _enumerator.Current);
                }
            }

            done |= Volatile.Read(ref _endRequested) == 1; // ended meanwhile (the consumer left, or the connection): this is the last batch
            return StreamBatch.Write(_serializer, Id, items.WrittenSpan, count, done);
        }
        catch
        {
            done = true;
            throw;
        }
        finally
        {
            Interlocked.Exchange(ref _busy, 0); // a full fence: RequestEnd, which reads it after setting _endRequested, cannot miss it
            if (done || Volatile.Read(ref _endRequested) == 1)
            {
                EndAsync().Forget();
            }
            else
            {
                RearmIdleTimer();
            }
        }
    }

    /// <inheritdoc/>
    public override void RequestEnd()
    {
        // Called from timers and the connection's end: it must never throw there.
        if (Interlocked.Exchange(ref _endRequested, 1) == 1 || Volatile.Read(ref _ended) == 1)
        {
            return;
        }

        _owner.Remove(this);
        CancelQuietly();
        if (Volatile.Read(ref _busy) == 0)
        {
            EndAsync().Forget(); // when a request is in progress, it ends the stream as it finishes
        }
    }

    private void RearmIdleTimer()
    {
        try
        {
            _idle.Change(StreamProducers.IdleTimeout, Timeout.InfiniteTimeSpan);
        }
        catch (ObjectDisposedException)
        {
            // The stream ended meanwhile.
        }
    }

    /// <summary>Cancels the enumeration's token; what its callbacks throw, or a token already disposed, is no concern of the stream's end.</summary>
    private void CancelQuietly()
    {
        try
        {
            _cancellation.Cancel();
        }
        catch (Exception ex) when (ex is ObjectDisposedException or AggregateException)
        {
            // The enumeration is being left either way.
        }
    }

    private async ValueTask EndAsync()
    {
        if (Interlocked.Exchange(ref _ended, 1) == 1)
        {
            return;
        }

        Volatile.Write(ref _endRequested, 1); // a request already past the table's lookup must not move the enumerator now
        _owner.Remove(this);
        _idle.Dispose();
        CancelQuietly();
        try
        {
            if (_parked is { } parked)
            {
                _parked = null;
                await parked.ConfigureAwait(false); // an enumerator may not be disposed while it moves
            }
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // It was cancelled, or failed after the consumer left: nobody is waiting for it.
        }

        try
        {
            await _enumerator.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // The target's cleanup failed; the stream is over either way.
        }
        finally
        {
            _cancellation.Dispose();
        }
    }
}
