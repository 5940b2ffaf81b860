using System.Diagnostics.Metrics;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using StackExchange.Redis;

namespace PluginIpc;

/// <summary>
/// Carries bus frames between hosts over Redis pub/sub, one channel per topic (<c>{Channel}:{topic}</c>): a bounded outbound
/// queue that a writer loop publishes in order (pipelined), and subscriptions to the channels of the topics and patterns this
/// host's subscribers need (and <c>sys.*</c> always), whose frames go to this host's bus in the order Redis delivers them per
/// channel. A host thus receives no frame nobody here wants, its own included (unless it subscribed to what it publishes).
/// </summary>
/// <remarks>
/// While Redis is unreachable the queue keeps the newest <see cref="RedisBusOptions.OutageBufferSize"/> frames and sends them on
/// reconnect (<see cref="RedisOutagePolicy.Buffer"/>), or <see cref="Send(string, ReadOnlyMemory{byte})"/> refuses frames (<see cref="RedisOutagePolicy.Fail"/>).
/// Frames dropped from the full queue, and frames Redis did not confirm before a connection failed, are counted as lost.
/// StackExchange.Redis reconnects and resubscribes by itself; its backlog is off (fail fast), so an outage is seen at once.
/// </remarks>
internal sealed class RedisBusRelay : PluginBusRelay
{
    /// <summary>How many frames may await Redis's confirmation at once; past it the writer waits for the oldest (pipelining, bounded).</summary>
    private const int MaxInFlight = 1024;

    /// <summary>How many frames one confirmation (a PING after them on the same connection) covers at most.</summary>
    private const int FramesPerConfirmation = 128;

    /// <summary>How long a stopping relay still tries to send what is queued.</summary>
    private static readonly TimeSpan s_flushOnStop = TimeSpan.FromSeconds(2);

    private static readonly TimeSpan s_lostLogInterval = TimeSpan.FromSeconds(1);

    private static readonly TimeSpan s_publishRetry = TimeSpan.FromMilliseconds(100);

    private const long SubscribeFailedLogIntervalMs = 5000;

    private readonly ConfigurationOptions _configuration;
    private readonly RedisBusOptions _options;
    /// <summary>The most Redis channels the writer keeps made (one per topic); past it it starts over.</summary>
    private const int MaxCachedChannels = 4096;

    private readonly string _prefix;
    private readonly System.Threading.Channels.Channel<(string Topic, ReadOnlyMemory<byte> Frame)> _outbound;
    private readonly Dictionary<string, RedisChannel> _channels = new(StringComparer.Ordinal);
    private readonly Lock _matchingLock = new();
    private readonly Dictionary<RedisChannel, ChannelMessageQueue> _subscribed = [];
    private readonly Action<ChannelMessage> _onFrame;
    private Wanted _wanted = new([], []);
    private Task _matching = Task.CompletedTask;
    private readonly Queue<(Task Confirmation, int Frames)> _inFlight = new();
    private int _inFlightFrames;
    private int _unconfirmed;
    private readonly RedisBusMetrics _metrics;
    private readonly ILogger _logger;
    private ConnectionMultiplexer? _connection;
    private CancellationToken _stopping;
    private int _retrying; // 1 while a retry of failed subscriptions waits or runs
    private int _retryWanted; // 1 when a failure asked for another match
    private TaskCompletionSource _restored = NewSignal();
    private int _down;
    private long _lost;
    private long _lostLogged;
    private long _lostLoggedAt;
    private long _subscribeFailedLoggedAt = long.MinValue / 2;

    public RedisBusRelay(ConfigurationOptions configuration, RedisBusOptions options, ILoggerFactory? loggerFactory, IMeterFactory? meterFactory)
    {
        _configuration = configuration;
        _options = options;
        _prefix = options.Channel + ":";
        _onFrame = OnFrame;
        _outbound = System.Threading.Channels.Channel.CreateBounded<(string Topic, ReadOnlyMemory<byte> Frame)>(
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

    /// <summary>Not used: the bus sends with the topic, which names the Redis channel.</summary>
    /// <exception cref="NotSupportedException">Always.</exception>
    protected override void Send(ReadOnlyMemory<byte> frame) =>
        throw new NotSupportedException("The Redis relay publishes each frame on its topic's channel: the bus calls Send(topic, frame).");

    /// <exception cref="PluginIpcException">The policy is <see cref="RedisOutagePolicy.Fail"/> and Redis is unreachable.</exception>
    protected override void Send(string topic, ReadOnlyMemory<byte> frame)
    {
        // Until the first connection attempt ends the relay does not know yet: it queues, whatever the policy.
        if (_options.OutagePolicy == RedisOutagePolicy.Fail && Volatile.Read(ref _connection) is { IsConnected: false } connection)
        {
            throw new PluginIpcException(
                $"Redis is unreachable ({connection.Configuration}): the message was not sent to other hosts (RedisBusOptions.OutagePolicy is Fail).");
        }

        _outbound.Writer.TryWrite((topic, frame)); // never refused: a full queue drops its oldest frame (OnDropped counts it)
    }

    protected override async Task RunAsync(CancellationToken stopping)
    {
        _stopping = stopping;
        ConnectionMultiplexer? connection = null;
        Task? subscribing = null;
        Task? writing = null;
        using var stopWriting = CancellationTokenSource.CreateLinkedTokenSource(stopping); // also when subscribing fails for good
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

            // Publishing does not wait for this host's subscriptions: a channel Redis refuses must not hold back what it sends.
            subscribing = SubscribeAsync(connection, stopping);
            writing = WriteAsync(connection.GetSubscriber(), stopWriting.Token);
            await (await Task.WhenAny(subscribing, writing).ConfigureAwait(false)).ConfigureAwait(false);
            await writing.ConfigureAwait(false);
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
                // Both end before the connection goes: the flush takes over the writer's queues, and a subscription still
                // being made must not meet a disposed connection (an exception nobody would observe).
                await stopWriting.CancelAsync().ConfigureAwait(false);
                if (writing is not null)
                {
                    await writing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                if (subscribing is not null)
                {
                    await subscribing.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                }

                await FlushOnStopAsync(connection.GetSubscriber()).ConfigureAwait(false);
                connection.ConnectionFailed -= OnConnectionFailed;
                connection.ConnectionRestored -= OnConnectionRestored;
                await connection.DisposeAsync().ConfigureAwait(false);
            }
        }
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static string Describe(RedisOutagePolicy policy) => policy == RedisOutagePolicy.Buffer ? "buffered" : "refused";

    /// <inheritdoc/>
    protected override Task OnSubscriptionsChangedAsync(IReadOnlyCollection<string> topics, IReadOnlyCollection<string> patterns)
    {
        Interlocked.Exchange(ref _wanted, new Wanted(topics, patterns)); // a full fence: the connection is read after it
        return Volatile.Read(ref _connection) is { IsConnected: true } ? MatchOrRetryAsync() : Task.CompletedTask; // else at (re)connect
    }

    /// <summary>Matches the subscriptions; when Redis fails that (the caller is told), tries again in the background until it works.</summary>
    private async Task MatchOrRetryAsync()
    {
        try
        {
            await MatchSubscriptionsAsync().ConfigureAwait(false);
        }
        catch (Exception ex) when (IsRedisFailure(ex))
        {
            RetryLater();
            throw;
        }
    }

    /// <summary>Asks for another match a second from now: one loop at a time, which goes on while a failure asked for one.</summary>
    private void RetryLater()
    {
        Volatile.Write(ref _retryWanted, 1);
        if (Interlocked.Exchange(ref _retrying, 1) == 0)
        {
            _ = RetryMatchingAsync();
        }
    }

    private async Task RetryMatchingAsync()
    {
        try
        {
            while (true)
            {
                await Task.Delay(TimeSpan.FromSeconds(1), _stopping).ConfigureAwait(false);
                Volatile.Write(ref _retryWanted, 0);
                try
                {
                    await MatchSubscriptionsAsync().ConfigureAwait(false); // not connected: the reconnect matches them
                }
                catch (Exception ex) when (IsRedisFailure(ex))
                {
                    Volatile.Write(ref _retryWanted, 1); // logged where it failed
                }

                if (Volatile.Read(ref _retryWanted) == 0)
                {
                    Volatile.Write(ref _retrying, 0);

                    // A failure between the read above and the write was left to this loop: take it, unless another loop did.
                    if (Volatile.Read(ref _retryWanted) == 0 || Interlocked.Exchange(ref _retrying, 1) != 0)
                    {
                        return;
                    }
                }
            }
        }
        catch (OperationCanceledException)
        {
            Volatile.Write(ref _retrying, 0); // stopped
        }
    }

    // A command's timeout is a TimeoutException, not a RedisException.
    private static bool IsRedisFailure(Exception ex) => ex is RedisException or TimeoutException;

    /// <summary>The Redis glob of a topic pattern: its <c>*</c> as is (unless <paramref name="literal"/>), the glob's other special characters escaped.</summary>
    internal static string Glob(string text, bool literal = false)
    {
        var glob = new System.Text.StringBuilder(text.Length + 8);
        foreach (char c in text)
        {
            if (c is '\\' or '?' or '[' or ']' || (literal && c == '*'))
            {
                glob.Append('\\');
            }

            glob.Append(c);
        }

        return glob.ToString();
    }

    /// <summary>
    /// The channels that carry what <paramref name="topics"/> and <paramref name="patterns"/> (and the system topics) need, such
    /// that no frame comes through two of them: a pattern or topic inside another pattern is left out, and patterns that may
    /// overlap otherwise give way to one channel pattern for every topic (the bus then drops what nobody here wants).
    /// </summary>
    internal static List<(string Name, bool IsPattern)> Channels(string prefix, IEnumerable<string> topics, IEnumerable<string> patterns)
    {
        var kept = new List<string>();
        foreach (string pattern in patterns.Append("sys.*").Distinct(StringComparer.Ordinal).OrderBy(p => p.Length))
        {
            if (!kept.Any(wider => Covers(wider, pattern)))
            {
                kept.RemoveAll(narrower => Covers(pattern, narrower));
                kept.Add(pattern);
            }
        }

        // Two patterns are disjoint when neither literal start (before its first '*') starts the other.
        static string Start(string pattern) => pattern.IndexOf('*', StringComparison.Ordinal) is var star and >= 0 ? pattern[..star] : pattern;
        bool overlap = false;
        for (int i = 0; i < kept.Count && !overlap; i++)
        {
            for (int j = i + 1; j < kept.Count && !overlap; j++)
            {
                string a = Start(kept[i]), b = Start(kept[j]);
                overlap = a.StartsWith(b, StringComparison.Ordinal) || b.StartsWith(a, StringComparison.Ordinal);
            }
        }

        if (overlap)
        {
            kept = ["*"];
        }

        var channels = kept.Select(pattern => (Glob(prefix, literal: true) + Glob(pattern), true)).ToList();
        channels.AddRange(topics.Where(topic => !kept.Any(pattern => Covers(pattern, topic))).Distinct(StringComparer.Ordinal).Select(topic => (prefix + topic, false)));
        return channels;
    }

    /// <summary>Whether every topic <paramref name="narrower"/> (a topic or pattern) matches, <paramref name="pattern"/> matches too.</summary>
    private static bool Covers(string pattern, string narrower)
    {
        string[] parts = pattern.Split('*');
        if (parts.Length == 1)
        {
            return pattern == narrower;
        }

        // Each '*' of the narrower one, taken as a character, falls inside one of the pattern's.
        ReadOnlySpan<char> rest = narrower;
        if (!rest.StartsWith(parts[0], StringComparison.Ordinal))
        {
            return false;
        }

        rest = rest[parts[0].Length..];
        for (int i = 1; i < parts.Length - 1; i++)
        {
            int at = rest.IndexOf(parts[i], StringComparison.Ordinal);
            if (at < 0)
            {
                return false;
            }

            rest = rest[(at + parts[i].Length)..];
        }

        return rest.EndsWith(parts[^1], StringComparison.Ordinal);
    }

    /// <summary>Subscribes once Redis answers, and again until it succeeds; StackExchange.Redis restores subscriptions after each reconnect by itself.</summary>
    private async Task SubscribeAsync(ConnectionMultiplexer connection, CancellationToken stopping)
    {
        while (true)
        {
            await WaitForConnectionAsync(connection, stopping).ConfigureAwait(false);
            try
            {
                await MatchSubscriptionsAsync().ConfigureAwait(false);
                return;
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                // A failed subscription is taken back at once (MatchNowAsync, which logs it), so trying again subscribes once.
                await Task.Delay(TimeSpan.FromMilliseconds(250), stopping).ConfigureAwait(false);
            }
        }
    }

    /// <summary>Subscribes to the channels wanted now and unsubscribes from the others, after the previous such change.</summary>
    private Task MatchSubscriptionsAsync()
    {
        lock (_matchingLock)
        {
            return _matching = MatchAfterAsync(_matching);
        }
    }

    private async Task MatchAfterAsync(Task previous)
    {
        await previous.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await MatchNowAsync().ConfigureAwait(false);
    }

    /// <summary>Unsubscribes first from what is no longer wanted (a gap rather than a frame twice), then subscribes to what is.</summary>
    private async Task MatchNowAsync()
    {
        if (Volatile.Read(ref _connection) is not { IsConnected: true } connection)
        {
            return; // done when the connection is back
        }

        ISubscriber subscriber = connection.GetSubscriber();
        (IReadOnlyCollection<string> topics, IReadOnlyCollection<string> patterns) = Volatile.Read(ref _wanted);
        var wanted = Channels(_prefix, topics, patterns)
            .Select(channel => channel.IsPattern ? RedisChannel.Pattern(channel.Name) : RedisChannel.Literal(channel.Name))
            .ToHashSet();
        foreach (RedisChannel channel in _subscribed.Keys.Where(channel => !wanted.Contains(channel)).ToArray())
        {
            try
            {
                await _subscribed[channel].UnsubscribeAsync().ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                ReportSubscribeFailed(channel.ToString(), ex); // logged here, where the channel is known; the callers retry
                throw;
            }

            _subscribed.Remove(channel);
        }

        foreach (RedisChannel channel in wanted.Where(channel => !_subscribed.ContainsKey(channel)))
        {
            ChannelMessageQueue queue;
            try
            {
                queue = await subscriber.SubscribeAsync(channel).ConfigureAwait(false);
            }
            catch (Exception ex) when (IsRedisFailure(ex))
            {
                // StackExchange.Redis registers the queue before its command goes out: a failed one stays registered, with
                // nobody reading it, and fills with whatever Redis sends to the channel. Taken back before trying again.
                await subscriber.UnsubscribeAsync(channel).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
                ReportSubscribeFailed(channel.ToString(), ex); // here, where the channel is known; the callers retry
                throw;
            }

            queue.OnMessage(_onFrame); // in order, per channel
            _subscribed.Add(channel, queue);
        }
    }

    private void OnFrame(ChannelMessage message)
    {
        _metrics.Received.Add(1);

        // The topic of the channel it came on: the bus drops a frame that names another (a client allowed to publish on one
        // channel must not reach another topic's subscribers). Every channel this relay subscribes to starts with the prefix.
        string channel = message.Channel.ToString();
        Receive((ReadOnlyMemory<byte>)message.Message, channel.StartsWith(_prefix, StringComparison.Ordinal) ? channel[_prefix.Length..] : channel);
    }

    /// <summary>Publishes queued frames in order, many at once, and waits whenever Redis is unreachable.</summary>
    private async Task WriteAsync(ISubscriber subscriber, CancellationToken stopping)
    {
        ChannelReader<(string Topic, ReadOnlyMemory<byte> Frame)> reader = _outbound.Reader;
        (string Topic, ReadOnlyMemory<byte> Frame) carried = default;
        bool hasCarried = false;
        try
        {
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
                    if (!TryPublish(connection, subscriber, carried))
                    {
                        hasCarried = true; // Redis went away before it took the frame: it goes first once Redis is back
                        break;
                    }

                    if (_unconfirmed >= FramesPerConfirmation)
                    {
                        Confirm(connection);
                    }

                    if (_inFlightFrames >= MaxInFlight)
                    {
                        await CompleteInFlightAsync(MaxInFlight / 2).ConfigureAwait(false);
                    }
                }

                Confirm(connection);
                await CompleteInFlightAsync(0).ConfigureAwait(false);
                ReportLost(force: false);
                if (hasCarried && connection.IsConnected)
                {
                    // Refused while the connection still counts as up (a handshake, one endpoint of several down): not a busy loop.
                    await Task.Delay(s_publishRetry, stopping).ConfigureAwait(false);
                }
            }
        }
        finally
        {
            if (hasCarried)
            {
                CountLost(1); // refused by Redis, then the relay stopped: it never went
            }
        }
    }

    /// <summary>
    /// Hands a frame to StackExchange.Redis without a task of its own (fire and forget: no allocation or completion per frame;
    /// the next <see cref="Confirm"/> covers it); false when there is no connection to take it.
    /// </summary>
    private bool TryPublish(ConnectionMultiplexer connection, ISubscriber subscriber, (string Topic, ReadOnlyMemory<byte> Frame) frame)
    {
        if (!connection.IsConnected)
        {
            return false;
        }

        if (!_channels.TryGetValue(frame.Topic, out RedisChannel channel))
        {
            if (_channels.Count >= MaxCachedChannels)
            {
                _channels.Clear();
            }

            channel = RedisChannel.Literal(_prefix + frame.Topic);
            _channels.Add(frame.Topic, channel);
        }

        Task<long> publishing;
        try
        {
            publishing = subscriber.PublishAsync(channel, frame.Frame, CommandFlags.FireAndForget);
        }
        catch (RedisConnectionException)
        {
            return false;
        }

        if (publishing.IsFaulted && publishing.Exception.InnerException is RedisConnectionException)
        {
            return false;
        }

        _unconfirmed++;
        return true;
    }

    /// <summary>
    /// Sends a PING after the frames published since the last one, on the connection that carries them: Redis answers in order,
    /// so its answer confirms them all, and its failure (the connection broke) counts them lost.
    /// </summary>
    private void Confirm(ConnectionMultiplexer connection)
    {
        if (_unconfirmed == 0)
        {
            return;
        }

        Task confirmation;
        try
        {
            confirmation = connection.GetDatabase().PingAsync();
        }
        catch (RedisException ex)
        {
            confirmation = Task.FromException(ex);
        }

        _inFlight.Enqueue((confirmation, _unconfirmed));
        _inFlightFrames += _unconfirmed;
        _unconfirmed = 0;
    }

    /// <summary>Waits for the oldest confirmations until at most <paramref name="keep"/> frames are in flight; counts them sent or lost.</summary>
    private async Task CompleteInFlightAsync(int keep)
    {
        long sent = 0;
        while (_inFlightFrames > keep && _inFlight.Count > 0)
        {
            (Task confirmation, int frames) = _inFlight.Dequeue();
            _inFlightFrames -= frames;
            try
            {
                await confirmation.ConfigureAwait(false);
                sent += frames;
            }
            catch (Exception ex) when (ex is RedisException or TimeoutException)
            {
                // Redis may or may not have delivered them; at most once means they are not sent again.
                CountLost(frames);
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
        if (_connection is { IsConnected: true } connection)
        {
            try
            {
                while (_outbound.Reader.TryRead(out (string Topic, ReadOnlyMemory<byte> Frame) frame))
                {
                    if (!TryPublish(connection, subscriber, frame))
                    {
                        CountLost(1);
                        break;
                    }
                }

                Confirm(connection);
                await CompleteInFlightAsync(0).WaitAsync(s_flushOnStop).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                // Redis is too slow to confirm: those frames may still arrive, so they are not counted either way
            }
        }

        // What never went is lost with the host: counted and logged, not dropped silently.
        long left = 0;
        while (_outbound.Reader.TryRead(out _))
        {
            left++;
        }

        if (left > 0)
        {
            CountLost(left);
        }

        ReportLost(force: true);
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

    private void OnDropped((string Topic, ReadOnlyMemory<byte> Frame) frame) => CountLost(1);

    /// <summary>Logs a channel Redis would not subscribe to, at most every 5 s: the retries come every 250 ms to 1 s.</summary>
    private void ReportSubscribeFailed(string channel, Exception exception)
    {
        long now = Environment.TickCount64;
        long last = Interlocked.Read(ref _subscribeFailedLoggedAt);
        if (now - last >= SubscribeFailedLogIntervalMs && Interlocked.CompareExchange(ref _subscribeFailedLoggedAt, now, last) == last)
        {
            RedisBusLog.SubscribeFailed(_logger, channel, exception);
        }
    }

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

        // StackExchange.Redis restores what was subscribed; what failed to subscribe meanwhile is subscribed now, or retried.
        _ = MatchOrRetryAsync().ContinueWith(
            static (task, state) =>
            {
                if (!IsRedisFailure(task.Exception!.InnerException!))
                {
                    RedisBusLog.SubscribeFailed((ILogger)state!, "(any)", task.Exception.InnerException!); // Redis's own were logged where they failed
                }
            },
            _logger,
            CancellationToken.None,
            TaskContinuationOptions.OnlyOnFaulted,
            TaskScheduler.Default);
    }

    private sealed record Wanted(IReadOnlyCollection<string> Topics, IReadOnlyCollection<string> Patterns);
}
