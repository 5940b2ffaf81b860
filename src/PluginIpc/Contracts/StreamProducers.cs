using System.Collections.Concurrent;

namespace PluginIpc.Contracts;

/// <summary>
/// The contract streams one peer produces: opened by a stream method's request, fed by <c>cmd.stream.next</c>, ended by
/// <c>cmd.stream.end</c>, by their last item or failure, by the connection's end, or after <see cref="IdleTimeout"/> without a request.
/// </summary>
/// <remarks>Bounded: at most <see cref="MaxOpenStreams"/> open at once, <see cref="MaxWindow"/> items and about <see cref="MaxBatchBytes"/> per batch.</remarks>
internal sealed class StreamProducers
{
    /// <summary>How many streams may be open at once.</summary>
    /// <remarks>
    /// Well below the channel's 256 handler slots: a stream whose consumer waits for items holds one slot with its
    /// <c>cmd.stream.next</c> while the producer has none, so open streams can never take every slot from other calls.
    /// </remarks>
    public const int MaxOpenStreams = 64;

    /// <summary>The most items a consumer may ask for at once.</summary>
    public const int MaxWindow = 1024;

    /// <summary>A batch takes no more items once its items' bytes reach this, so that open streams hold at most about 16 MiB of batches.</summary>
    public const int MaxBatchBytes = 256 * 1024;

    /// <summary>How long a stream stays open without a request from its consumer, who may have forgotten it.</summary>
    public static readonly TimeSpan IdleTimeout = TimeSpan.FromMinutes(2);

    private readonly IChunkPeer _peer;
    private readonly ConcurrentDictionary<long, ProducerStream> _open = new();
    private readonly ConcurrentDictionary<Channel, bool> _watched = new();
    private long _lastId;

    public StreamProducers(IChunkPeer peer) => _peer = peer;

    /// <summary>Gets how many streams are open.</summary>
    public int OpenCount => _open.Count;

    /// <summary>Gets the clock of the idle timeouts.</summary>
    public TimeProvider TimeProvider => (_peer as IContractPeer)?.TimeProvider ?? TimeProvider.System;

    /// <summary>Opens a stream from <paramref name="open"/> and answers its first batch: the items it has at once, perhaps none.</summary>
    /// <exception cref="RemoteException">Too many streams are open.</exception>
    public ValueTask<ReadOnlyMemory<byte>> OpenAsync<T>(IPluginSerializer serializer, string cmd, int window, Func<CancellationToken, IAsyncEnumerable<T>> open, CancellationToken requestToken)
    {
        if (_open.Count >= MaxOpenStreams)
        {
            throw new RemoteException(ErrorCodes.TooManyStreams, $"'{cmd}' cannot open a stream: {MaxOpenStreams} streams are open on this connection. Consumers end streams by disposing their enumerators.");
        }

        Channel? connection = (_peer as IContractPeer)?.Connection;
        var cancellation = new CancellationTokenSource();
        IAsyncEnumerator<T> enumerator;
        try
        {
            enumerator = open(cancellation.Token).GetAsyncEnumerator(cancellation.Token);
        }
        catch
        {
            cancellation.Dispose();
            throw;
        }

        var stream = new ProducerStream<T>(this, Interlocked.Increment(ref _lastId), enumerator, cancellation, serializer, cmd, connection);
        _open[stream.Id] = stream;
        if (connection is not null && _watched.TryAdd(connection, true))
        {
            connection.Completion.ContinueWith(
                static (_, state) =>
                {
                    (StreamProducers producers, Channel ended) = ((StreamProducers, Channel))state!;
                    producers.EndStreamsOf(ended);
                },
                (this, connection),
                CancellationToken.None,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);
        }

        return stream.NextAsync(window, first: true, requestToken);
    }

    /// <summary>Handles <c>cmd.stream.next</c> <c>[streamId, window]</c>.</summary>
    public ValueTask<ReadOnlyMemory<byte>> HandleNextAsync(Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken)
    {
        IPluginSerializer serializer = PluginSerializers.Resolve(peer.Serializer);
        Span<long> values = stackalloc long[2];
        StreamMessages.Read(serializer, chunk, values);
        int window = CheckWindow(values[1], Commands.StreamNext);
        if (!_open.TryGetValue(values[0], out ProducerStream? stream))
        {
            throw new RemoteException(ErrorCodes.InvalidRequest, $"Stream {values[0]} is not open: it ended, it was idle for {IdleTimeout.TotalSeconds:0} s, or it never was.");
        }

        return stream.NextAsync(window, first: false, cancellationToken);
    }

    /// <summary>Handles <c>cmd.stream.end</c> <c>[streamId]</c>; an unknown id is ignored (the stream ended meanwhile).</summary>
    public ValueTask<ReadOnlyMemory<byte>> HandleEnd(Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken)
    {
        Span<long> values = stackalloc long[1];
        StreamMessages.Read(PluginSerializers.Resolve(peer.Serializer), chunk, values);
        if (_open.TryGetValue(values[0], out ProducerStream? stream))
        {
            stream.RequestEnd();
        }

        return default;
    }

    /// <summary>Returns <paramref name="window"/> if it is a window a consumer may ask for.</summary>
    /// <exception cref="RemoteException">It is not: answered <see cref="ErrorCodes.InvalidRequest"/>.</exception>
    public static int CheckWindow(long window, string cmd) =>
        window is >= 1 and <= MaxWindow
            ? (int)window
            : throw new RemoteException(ErrorCodes.InvalidRequest, $"'{cmd}' asked for {window} items; a window is 1 to {MaxWindow}.");

    /// <summary>Forgets an ended stream.</summary>
    internal void Remove(ProducerStream stream) => _open.TryRemove(stream.Id, out _);

    private void EndStreamsOf(Channel connection)
    {
        _watched.TryRemove(connection, out _);
        foreach (ProducerStream stream in _open.Values)
        {
            if (stream.Connection == connection)
            {
                stream.RequestEnd();
            }
        }
    }
}
