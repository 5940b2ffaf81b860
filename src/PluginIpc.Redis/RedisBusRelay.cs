using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace PluginIpc;

/// <summary>
/// Carries bus frames between hosts over one Redis pub/sub channel: a bounded outbound queue that a writer loop publishes in
/// order (pipelined), and a subscription whose frames go to this host's bus in the order Redis delivers them.
/// </summary>
/// <remarks>
/// While Redis is unreachable the queue keeps the newest <see cref="RedisBusOptions.OutageBufferSize"/> frames and sends them on
/// reconnect (<see cref="RedisOutagePolicy.Buffer"/>), or <see cref="Send"/> refuses frames (<see cref="RedisOutagePolicy.Fail"/>).
/// Frames dropped from the full queue, and frames Redis did not confirm before a connection failed, are counted as lost.
/// StackExchange.Redis reconnects and resubscribes by itself; its backlog is off (fail fast), so an outage is seen at once.
/// </remarks>
internal sealed class RedisBusRelay : PluginBusRelay
{
    /// <summary>How many publishes may await Redis's answer at once; past it the writer waits for the oldest (pipelining, bounded).</summary>
    private const int MaxInFlight = 1024;

    /// <summary>How long a stopping relay still tries to send what is queued.</summary>
    private static readonly TimeSpan s_flushOnStop = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan s_lostLogInterval = TimeSpan.FromSeconds(1);

    private readonly ConfigurationOptions _configuration;
    private readonly RedisBusOptions _options;
    private readonly RedisChannel _channel;
    private readonly System.Threading.Channels.Channel<ReadOnlyMemory<byte>> _outbound;
    private readonly Queue<Task<long>> _inFlight = new();
    private readonly RedisBusMetrics _metrics;
    private readonly ILogger _logger;
    private ConnectionMultiplexer? _connection;
    private TaskCompletionSource _restored = NewSignal();
    private int _down;
    private long _lost;
    private long _lostLogged;
    private long _lostLoggedAt;

    public RedisBusRelay(ConfigurationOptions configuration, RedisBusOptions options, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        _configuration = configuration;
        _options = options;
        _channel = RedisChannel.Literal(options.Channel);
        _outbound = System.Threading.Channels.Channel.CreateBounded<ReadOnlyMemory<byte>>(
            new BoundedChannelOptions(options.OutageBufferSize)
            {
                FullMode = BoundedChannelFullMode.DropOldest,
                SingleReader = true,
                SingleWriter = false,
                AllowSynchronousContinuations = false,
            },
            OnDropped);
        _metrics = new RedisBusMetrics(meterFactory);
        _logger = (loggerFactory ?? NullLoggerFactory.Instance).CreateLogger("PluginIpc.Bus.Redis");
    }

    /// <summary>Gets how many frames were lost since the relay started (dropped from the full queue, or not confirmed by Redis).</summary>
    internal long Lost => Interlocked.Read(ref _lost);

    /// <exception cref="PluginIpcException">The policy is <see cref="RedisOutagePolicy.Fail"/> and Redis is unreachable.</exception>
    protected override void Send(ReadOnlyMemory<byte> frame)
    {
        // Until the first connection attempt ends the relay does not know yet: it queues, whatever the policy.
        if (_options.OutagePolicy == RedisOutagePolicy.Fail && Volatile.Read(ref _connection) is { IsConnected: false } connection)
        {
            throw new PluginIpcException(
                $"Redis is unreachable ({connection.Configuration}): the message was not sent to other hosts (RedisBusOptions.OutagePolicy is Fail).");
        }

        _outbound.Writer.TryWrite(frame); // never refused: a full queue drops its oldest frame (OnDropped counts it)
    }

    protected override async Task RunAsync(CancellationToken stopping)
    {
        ConnectionMultiplexer? connection = null;
        try
        {
            // AbortOnConnectFail is off: this returns (after the connect timeout at worst) even while Redis is unreachable, and
            // StackExchange.Redis keeps trying in the background.
            Task<ConnectionMultiplexer> connecting = ConnectionMultiplexer.ConnectAsync(_configuration);
            try
            {
                connection = await connecting.WaitAsync(stopping).ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped while connecting: the connection that may still come is closed, and a failure observed.
                _ = connecting.ContinueWith(
                    static task =>
                    {
                        if (task.IsCompletedSuccessfully)
                        {
                            task.Result.Dispose();
                        }
                        else
                        {
                            _ = task.Exception;
                        }
                    },
                    CancellationToken.None,
                    TaskContinuationOptions.None,
                    TaskScheduler.Default);
                throw;
            }

            connection.ConnectionFailed += OnConnectionFailed;
            connection.ConnectionRestored += OnConnectionRestored;
            Volatile.Write(ref _connection, connection);
            if (connection.IsConnected)
            {
                RedisBusLog.Connected(_logger, string.Join(", ", connection.GetEndPoints().Select(endpoint => endpoint.ToString())), _options.Channel);
            }
            else
            {
                Volatile.Write(ref _down, 1);
                RedisBusLog.Disconnected(_logger, _configuration.ToString(includePassword: false), nameof(ConnectionFailureType.UnableToConnect), Describe(_options.OutagePolicy), exception: null);
            }

            ChannelMessageQueue queue = await SubscribeAsync(connection, stopping).ConfigureAwait(false);
            Task receiving = ReceiveAsync(queue, stopping);
            try
            {
                await WriteAsync(connection.GetSubscriber(), stopping).ConfigureAwait(false);
            }
            finally
            {
                await receiving.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            }
        }
        catch (OperationCanceledException) when (stopping.IsCancellationRequested)
        {
            // stopped
        }
        catch (Exception ex)
        {
            RedisBusLog.RelayFailed(_logger, ex);
            throw;
        }
        finally
        {
            if (connection is not null)
            {
                await FlushOnStopAsync(connection.GetSubscriber()).ConfigureAwait(false);
                connection.ConnectionFailed -= OnConnectionFailed;
                connection.ConnectionRestored -= OnConnectionRestored;
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string Describe(RedisOutagePolicy policy) => policy == RedisOutagePolicy.Buffer ? "buffered" : "refused";

    /// <summary>Subscribes once Redis answers; StackExchange.Redis restores the subscription after each reconnect by itself.</summary>
    private async Task<ChannelMessageQueue> SubscribeAsync(ConnectionMultiplexer connection, CancellationToken stopping)
    {
        ISubscriber subscriber = connection.GetSubscriber();
        while (true)
        {
            await WaitForConnectionAsync(connection, stopping).ConfigureAwait(false);
            try
            {
                return await subscriber.SubscribeAsync(_channel).ConfigureAwait(false);
            }
            catch (RedisException ex)
            {
                // The subscription is registered only when the command succeeded, so trying again subscribes once.
                RedisBusLog.SubscribeFailed(_logger, _options.Channel, ex);
                await Task.Delay(TimeSpan.FromMilliseconds(250), stopping).ConfigureAwait(false);
            }
        }
    }

    private async Task ReceiveAsync(ChannelMessageQueue queue, CancellationToken stopping)
    {
        try
        {
            while (true)
            {
                ChannelMessage message = await queue.ReadAsync(stopping).ConfigureAwait(false);
                _metrics.Received.Add(1);
                Receive((ReadOnlyMemory<byte>)message.Message);
            }
        }
        catch (ChannelClosedException)
        {
            // unsubscribed: the connection is being disposed
        }
    }

    /// <summary>Publishes queued frames in order, many at once, and waits whenever Redis is unreachable.</summary>
    private async Task WriteAsync(ISubscriber subscriber, CancellationToken stopping)
    {
        ChannelReader<ReadOnlyMemory<byte>> reader = _outbound.Reader;
        ReadOnlyMemory<byte> carried = default;
        bool hasCarried = false;
        while (true)
        {
            if (!hasCarried && !reader.TryPeek(out _))
            {
                ReportLost(force: true);
                await reader.WaitToReadAsync(stopping).ConfigureAwait(false);
                continue;
            }

            ConnectionMultiplexer connection = _connection!;
            if (!connection.IsConnected)
            {
                await CompleteInFlightAsync(0).ConfigureAwait(false);
                ReportLost(force: true);
                await WaitForConnectionAsync(connection, stopping).ConfigureAwait(false);
                continue;
            }

            while (hasCarried || reader.TryRead(out carried))
            {
                hasCarried = false;
                if (!TryPublish(subscriber, carried))
                {
                    hasCarried = true; // Redis went away before it took the frame: it goes first once Redis is back
                    break;
                }

                if (_inFlight.Count >= MaxInFlight)
                {
                    await CompleteInFlightAsync(MaxInFlight / 2).ConfigureAwait(false);
                }
            }

            await CompleteInFlightAsync(0).ConfigureAwait(false);
            ReportLost(force: false);
        }
    }

    /// <summary>Hands a frame to StackExchange.Redis; false when it refused it at once for want of a connection.</summary>
    private bool TryPublish(ISubscriber subscriber, ReadOnlyMemory<byte> frame)
    {
        Task<long> publishing;
        try
        {
            publishing = subscriber.PublishAsync(_channel, frame);
        }
        catch (RedisConnectionException)
        {
            return false;
        }

        if (publishing.IsFaulted && publishing.Exception.InnerException is RedisConnectionException)
        {
            return false;
        }

        _inFlight.Enqueue(publishing);
        return true;
    }

    /// <summary>Waits for the oldest publishes until at most <paramref name="keep"/> are in flight; counts them sent or lost.</summary>
    private async Task CompleteInFlightAsync(int keep)
    {
        long sent = 0;
        while (_inFlight.Count > keep)
        {
            Task<long> publishing = _inFlight.Dequeue();
            try
            {
                await publishing.ConfigureAwait(false);
                sent++;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis may or may not have delivered it; at most once means it is not sent again.
                CountLost(1);
            }
        }

        if (sent > 0)
        {
            _metrics.Sent.Add(sent);
        }
    }

    /// <summary>Sends what is still queued when the relay stops, for a short while, so that a host's last messages are not lost.</summary>
    private async Task FlushOnStopAsync(ISubscriber subscriber)
    {
        if (_connection is not { IsConnected: true })
        {
            return;
        }

        try
        {
            while (_outbound.Reader.TryRead(out ReadOnlyMemory<byte> frame) && TryPublish(subscriber, frame))
            {
            }

            await CompleteInFlightAsync(0).WaitAsync(s_flushOnStop).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Redis is too slow; what did not go is lost with the host
        }
    }

    private async Task WaitForConnectionAsync(ConnectionMultiplexer connection, CancellationToken stopping)
    {
        while (!connection.IsConnected)
        {
            Task restored = Volatile.Read(ref _restored).Task;
            if (connection.IsConnected)
            {
                break;
            }

            // The event wakes it; the periodic look covers a restore that raised no event this relay saw.
            await Task.WhenAny(restored, Task.Delay(TimeSpan.FromSeconds(1), stopping)).ConfigureAwait(false);
            stopping.ThrowIfCancellationRequested();
        }
    }

    private void OnDropped(ReadOnlyMemory<byte> frame) => CountLost(1);

    private void CountLost(long count)
    {
        Interlocked.Add(ref _lost, count);
        _metrics.Lost.Add(count);
    }

    /// <summary>Logs the frames lost since the last report: at once when <paramref name="force"/>, else at most once a second.</summary>
    private void ReportLost(bool force)
    {
        long lost = Interlocked.Read(ref _lost);
        long now = Environment.TickCount64;
        if (lost != _lostLogged && (force || now - _lostLoggedAt >= (long)s_lostLogInterval.TotalMilliseconds))
        {
            RedisBusLog.Lost(_logger, lost - _lostLogged, lost, _options.OutageBufferSize);
            _lostLogged = lost;
            _lostLoggedAt = now;
        }
    }

    private void OnConnectionFailed(object? sender, ConnectionFailedEventArgs e)
    {
        if (Interlocked.Exchange(ref _down, 1) == 0)
        {
            RedisBusLog.Disconnected(_logger, e.EndPoint?.ToString() ?? "?", e.FailureType.ToString(), Describe(_options.OutagePolicy), e.Exception);
        }
    }

    private void OnConnectionRestored(object? sender, ConnectionFailedEventArgs e)
    {
        if (sender is ConnectionMultiplexer { IsConnected: true } && Interlocked.Exchange(ref _down, 0) == 1)
        {
            RedisBusLog.Reconnected(_logger, e.EndPoint?.ToString() ?? "?");
        }

        Interlocked.Exchange(ref _restored, NewSignal()).TrySetResult();
    }
}
