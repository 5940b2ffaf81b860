using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>
/// A plugin's <see cref="IPluginBus"/> (<see cref="Main.Bus"/>): its own handlers, behind one subscription per topic at the
/// host, which brokers everything. It learns its allow-lists from the host on first use and checks them before sending, so
/// a refused topic fails at once for the caller (the host checks again).
/// </summary>
internal sealed class MainBus : IPluginBus, IAsyncDisposable
{
    /// <summary>How much longer than the request's own timeout a plugin waits for its host's answer, which ends the request in time.</summary>
    private static readonly TimeSpan s_hostMargin = TimeSpan.FromSeconds(5);

    private readonly Main _main;
    private readonly PluginBusOptions _options;
    private readonly IPluginSerializer _wire;
    private readonly IPluginSerializer _serializer;
    private readonly LocalSubscriptionTable _locals = new();
    private readonly SemaphoreSlim _changes = new(1, 1);
    private readonly PluginIpcMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _helloLock = new();
    private Task<HostBusInfo>? _hello;

    public MainBus(Main main, MainOptions options, Channel channel)
    {
        _main = main;
        _options = options.Bus.Snapshot();
        _wire = PluginSerializers.Resolve(options.Serializer);
        _serializer = PluginSerializers.Resolve(_options.Serializer); // MessagePack unless set, as on the host: typed payloads cross plugins of both formats
        _metrics = PluginIpcMetrics.For(options.MeterFactory);
        _logger = main.CreateLogger("PluginIpc.Bus");
        channel.Handlers.HandleInline(Commands.BusMessage, (chunk, _, _) =>
        {
            BusEnvelope envelope = BusWire.ReadMessage(_wire, chunk, inPlace: true);
            if (_locals.Offer(envelope) == 0 && !BusTopics.IsSystem(envelope.Topic))
            {
                _metrics.RecordBusDropped(main.Name); // no handler here any more (unsubscribed, or not subscribed again after a restart)
            }

            return default;
        });
        channel.Handlers.HandleReserved(Commands.BusRequest, AnswerAsync);
        if (options.OnConfigChanged is { } onConfigChanged)
        {
            // Not announced to the host: system topics reach every plugin anyway.
            _locals.Add(new LocalSubscription(BusTopics.ConfigChanged, false, (message, token) => new ValueTask(onConfigChanged(main, message, token)), _options, _serializer, _ => default, _metrics, _logger, main.Name));
        }
    }

    /// <inheritdoc/>
    public IPluginSerializer Serializer => _serializer;

    /// <inheritdoc/>
    public async ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        BusTopics.Validate(topic, nameof(topic));
        HostBusInfo host = await HelloAsync(cancellationToken).ConfigureAwait(false);
        topic = BusTopics.Expand(topic, host.ApplicationId);
        if (!host.Publish.Allows(topic))
        {
            throw new UnauthorizedAccessException($"Plugin '{_main.Name}' may not publish to topic '{topic}' (its host's allow-list{(BusTopics.IsSystem(topic) ? "; system topics need an entry of their own" : "")}).");
        }

        await _main.NotifyAsync(Commands.BusPublish, BusWire.Publish(_wire, topic, payload), cancellationToken).ConfigureAwait(false);
        _metrics.BusPublished.Add(1);
    }

    /// <inheritdoc/>
    public ValueTask<IAsyncDisposable> SubscribeAsync(string topic, BusHandler handler, CancellationToken cancellationToken = default) =>
        SubscribeAsync(topic, pattern: false, handler, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IAsyncDisposable> SubscribePatternAsync(string pattern, BusHandler handler, CancellationToken cancellationToken = default) =>
        SubscribeAsync(pattern, pattern: true, handler, cancellationToken);

    /// <inheritdoc/>
    public async Task<BusMessage> RequestAsync(string topic, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        (string expanded, ReadOnlyMemory<byte> answer) = await AskHostAsync(topic, payload, all: false, timeout, cancellationToken).ConfigureAwait(false);
        return BusWire.ReadReply(_wire, answer, expanded, _serializer);
    }

    /// <inheritdoc/>
    public async Task<IReadOnlyList<BusMessage>> RequestAllAsync(string topic, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        (string expanded, ReadOnlyMemory<byte> answer) = await AskHostAsync(topic, payload, all: true, timeout, cancellationToken).ConfigureAwait(false);
        return BusWire.ReadReplies(_wire, answer, expanded, _serializer);
    }

    public async ValueTask DisposeAsync()
    {
        foreach (LocalSubscription subscription in _locals.All)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<(string Topic, ReadOnlyMemory<byte> Answer)> AskHostAsync(string topic, ReadOnlyMemory<byte> payload, bool all, TimeSpan timeout, CancellationToken cancellationToken)
    {
        BusTopics.Validate(topic, nameof(topic));
        if (timeout <= TimeSpan.Zero && timeout != Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be positive, or Timeout.InfiniteTimeSpan.");
        }

        HostBusInfo host = await HelloAsync(cancellationToken).ConfigureAwait(false);
        topic = BusTopics.Expand(topic, host.ApplicationId);
        if (!host.Publish.Allows(topic))
        {
            throw new UnauthorizedAccessException($"Plugin '{_main.Name}' may not send requests to topic '{topic}' (its host's allow-list).");
        }

        long timeoutMs = timeout == Timeout.InfiniteTimeSpan ? long.MaxValue : (long)Math.Ceiling(timeout.TotalMilliseconds);
        TimeSpan hostTimeout = timeout == Timeout.InfiniteTimeSpan ? timeout : timeout + s_hostMargin;
        try
        {
            ReadOnlyMemory<byte> answer = await _main.CallAsync(Commands.BusRequest, BusWire.Request(_wire, topic, payload, all, timeoutMs), hostTimeout, cancellationToken).ConfigureAwait(false);
            return (topic, answer);
        }
        catch (RemoteException ex) when (ex.Code == ErrorCodes.Timeout)
        {
            throw new TimeoutException(ex.Message, ex);
        }
    }

    private async ValueTask<IAsyncDisposable> SubscribeAsync(string topic, bool pattern, BusHandler handler, CancellationToken cancellationToken)
    {
        BusTopics.Validate(topic, pattern ? "pattern" : nameof(topic), pattern);
        ArgumentNullException.ThrowIfNull(handler);
        HostBusInfo host = await HelloAsync(cancellationToken).ConfigureAwait(false);
        topic = BusTopics.Expand(topic, host.ApplicationId);
        bool system = BusTopics.IsSystem(topic);
        if (!system && !host.Subscribe.Allows(topic))
        {
            throw new UnauthorizedAccessException($"Plugin '{_main.Name}' may not subscribe to {(pattern ? "pattern" : "topic")} '{topic}' (its host's allow-list).");
        }

        await _changes.WaitAsync(cancellationToken).ConfigureAwait(false);
        var subscription = new LocalSubscription(topic, pattern, handler, _options, _serializer, UnsubscribeAsync, _metrics, _logger, _main.Name);
        try
        {
            // One subscription per topic at the host, however many handlers here; system topics need none.
            if (_locals.Add(subscription) == 1 && !system)
            {
                await _main.CallAsync(Commands.BusSubscribe, BusWire.Subscription(_wire, topic, pattern), cancellationToken).ConfigureAwait(false);
            }
        }
        catch
        {
            _locals.Remove(subscription);
            _changes.Release();
            await subscription.DisposeAsync().ConfigureAwait(false);
            throw;
        }

        _changes.Release();
        return subscription;
    }

    private async ValueTask UnsubscribeAsync(LocalSubscription subscription)
    {
        await _changes.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (_locals.Remove(subscription) == 0 && !BusTopics.IsSystem(subscription.Topic) && _main.Channel.IsOpen)
            {
                await _main.CallAsync(Commands.BusUnsubscribe, BusWire.Subscription(_wire, subscription.Topic, subscription.Pattern is not null), CancellationToken.None).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is ChannelClosedException or TimeoutException or OperationCanceledException or ObjectDisposedException)
        {
            // the host is gone, or the plugin is stopping: nothing to unsubscribe from
        }
        finally
        {
            _changes.Release();
        }
    }

    /// <summary>Answers the host's <c>bus.request</c>: this plugin's subscribers of the topic in turn, until one replies.</summary>
    private async ValueTask<ReadOnlyMemory<byte>> AnswerAsync(Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken)
    {
        BusEnvelope request = BusWire.ReadMessage(_wire, chunk, inPlace: true);
        foreach (LocalSubscription subscription in _locals.Matching(request.Topic))
        {
            var slot = new BusReplySlot();
            if (subscription.Offer(request.WithReply(slot)) && await slot.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false) is { } reply)
            {
                return reply;
            }
        }

        throw new RemoteException(ErrorCodes.NoSubscribers, $"No subscriber of topic '{request.Topic}' in plugin '{_main.Name}' took the request.") { Cmd = chunk.Cmd };
    }

    /// <summary>Asks the host, once, for its application id and this plugin's allow-lists; a failure is not kept, so the next use asks again.</summary>
    private Task<HostBusInfo> HelloAsync(CancellationToken cancellationToken)
    {
        lock (_helloLock)
        {
            if (_hello is null || _hello.IsFaulted || _hello.IsCanceled)
            {
                _hello = AskHelloAsync();
                _hello.Forget(); // a caller that stopped waiting (its token) leaves it unawaited, and a failed one is replaced unread
            }

            return _hello.WaitAsync(cancellationToken);
        }
    }

    private async Task<HostBusInfo> AskHelloAsync()
    {
        ReadOnlyMemory<byte> answer;
        try
        {
            answer = await _main.CallAsync(Commands.BusHello, ReadOnlyMemory<byte>.Empty, CancellationToken.None).ConfigureAwait(false);
        }
        catch (RemoteException ex) when (ex.Code == ErrorCodes.UnknownCommand)
        {
            throw new PluginIpcException($"The host of plugin '{_main.Name}' has no bus: it answered '{Commands.BusHello}' with {ex.Code}. Hosts get one from AddPluginIpc (IPluginBus), for plugins the manager starts.", ex);
        }

        (string? applicationId, string hostId, string[]? publish, string[]? subscribe) = BusWire.ReadHello(_wire, answer);
        return new HostBusInfo(applicationId, hostId, new TopicAllowList(publish, null), new TopicAllowList(subscribe, null));
    }

    private sealed record HostBusInfo(string? ApplicationId, string HostId, TopicAllowList Publish, TopicAllowList Subscribe);
}
