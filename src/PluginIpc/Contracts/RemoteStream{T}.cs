namespace PluginIpc.Contracts;

/// <summary>
/// The consumer's side of a contract stream: enumerating it calls the method, then asks for the next batch while the
/// current one is consumed. It grants <see cref="Window"/> items per request, so at most two windows wait in memory.
/// </summary>
internal sealed class RemoteStream<T> : IAsyncEnumerable<T>
{
    /// <summary>How many items the consumer grants per request.</summary>
    public const int Window = 64;

    private readonly ContractClient _client;
    private readonly string _cmd;
    private readonly ReadOnlyMemory<byte> _request;
    private readonly string? _mismatch;
    private readonly CancellationToken _cancellationToken;

    /// <summary>Initializes a stream that calls <paramref name="cmd"/> with <paramref name="request"/> when it is enumerated.</summary>
    /// <param name="client">The calls of the proxy.</param>
    /// <param name="cmd">The method's command.</param>
    /// <param name="request">The arguments, the first window included.</param>
    /// <param name="mismatch">Why the method cannot be called (the other side has another shape of it), or <see langword="null"/>.</param>
    /// <param name="cancellationToken">The token passed to the method: it ends the stream.</param>
    public RemoteStream(ContractClient client, string cmd, ReadOnlyMemory<byte> request, string? mismatch, CancellationToken cancellationToken)
    {
        _client = client;
        _cmd = cmd;
        _request = request;
        _mismatch = mismatch;
        _cancellationToken = cancellationToken;
    }

    /// <inheritdoc/>
    public IAsyncEnumerator<T> GetAsyncEnumerator(CancellationToken cancellationToken = default) => new Enumerator(this, cancellationToken);

    private sealed class Enumerator : IAsyncEnumerator<T>
    {
        private readonly RemoteStream<T> _stream;
        private readonly CancellationTokenSource _cancellation;
        private readonly Func<ReceivedChunk, (long Id, T[] Items, bool Done)> _readBatch;
        private T[] _items = [];
        private int _next;
        private long _id;
        private bool _opened;

        /// <summary>The connection the stream was opened on: its ids mean nothing on another (a restarted plugin's).</summary>
        private IChunkPeer? _connection;
        private bool _ended;
        private Task<(long Id, T[] Items, bool Done)>? _requested;

        public Enumerator(RemoteStream<T> stream, CancellationToken enumeratorToken)
        {
            _stream = stream;
            _cancellation = CancellationTokenSource.CreateLinkedTokenSource(stream._cancellationToken, enumeratorToken);
            IPluginSerializer serializer = stream._client.Serializer;
            string streamCmd = stream._cmd;
            _readBatch = response => StreamBatch.Read<T>(serializer, response.Buffer, Window, streamCmd);
        }

        public T Current { get; private set; } = default!;

        public async ValueTask<bool> MoveNextAsync()
        {
            while (true)
            {
                if (_next < _items.Length)
                {
                    Current = _items[_next];
                    _items[_next++] = default!;
                    return true;
                }

                if (_ended)
                {
                    return false;
                }

                Task<(long Id, T[] Items, bool Done)> requested = _requested ?? Request();
                _requested = null;
                (long Id, T[] Items, bool Done) batch;
                try
                {
                    batch = await requested.ConfigureAwait(false);
                }
                catch (Exception ex)
                {
                    // The producer ends its stream when it fails or its request is cancelled; tell it anyway when this side cancelled.
                    bool cancelledHere = ex is OperationCanceledException && _cancellation.IsCancellationRequested;
                    await EndAsync(tellProducer: cancelledHere).ConfigureAwait(false);
                    throw;
                }

                _id = batch.Id;
                if (!_opened)
                {
                    ContractClient client = _stream._client;
                    _connection = (client.Peer as IContractPeer)?.Connection ?? client.Peer;
                    _opened = true;
                }

                _items = batch.Items;
                _next = 0;
                _ended = batch.Done;
                if (!_ended)
                {
                    // Grants the next window while this one is consumed. Observed at once: a consumer that abandons the stream
                    // never awaits it, and its failure (the connection lost) must not reach the unobserved-exception handler.
                    _requested = Request();
                    _requested.Forget();
                }
            }
        }

        public async ValueTask DisposeAsync()
        {
            await EndAsync(tellProducer: true).ConfigureAwait(false);
            _items = [];
            _cancellation.Dispose();
        }

        private Task<(long Id, T[] Items, bool Done)> Request()
        {
            ContractClient client = _stream._client;
            if (!_opened)
            {
                return _stream._mismatch is { } mismatch
                    ? Task.FromException<(long, T[], bool)>(new ProtocolException(mismatch))
                    : ChunkPeerExtensions.Call(client.Peer, _stream._cmd, _stream._request, client.Peer.DefaultCallTimeout, _readBatch, _cancellation.Token);
            }

            // Items come when the producer has them: no timeout but the connection's life and the caller's token.
            return ChunkPeerExtensions.Call(_connection!, Commands.StreamNext, StreamMessages.Next(client.Serializer, _id, Window), Timeout.InfiniteTimeSpan, _readBatch, _cancellation.Token);
        }

        /// <summary>Stops asking for items; tells the producer when the stream is open there and it may not know.</summary>
        private async ValueTask EndAsync(bool tellProducer)
        {
            if (_ended && _requested is null)
            {
                return;
            }

            bool wasOpen = _opened && !_ended;
            _ended = true;
            if (_requested is { } requested)
            {
                _requested = null;
                _cancellation.Cancel(); // the request in flight is cancelled on the other side too
                requested.Forget();
            }

            if (tellProducer && wasOpen)
            {
                try
                {
                    ContractClient client = _stream._client;
                    await _connection!.NotifyAsync(Commands.StreamEnd, StreamMessages.End(client.Serializer, _id)).ConfigureAwait(false);
                }
                catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException or ProtocolException)
                {
                    // The connection is gone, and the producer's stream with it.
                }
            }
        }
    }
}
