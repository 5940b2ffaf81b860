using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace PluginIpc;

/// <summary>
/// The host's <see cref="IPluginBus"/>: the broker between the host's own subscribers, its plugins (attached by the plugin
/// manager) and, through a <see cref="PluginBusRelay"/>, other hosts. Publishing never waits for a subscriber.
/// </summary>
internal sealed partial class HostBus : IPluginBus, IAsyncDisposable, IDisposable
{
    /// <summary>The most topics whose sequence numbers are kept; past it they start over (subscribers see no false gap).</summary>
    public const int MaxSequencedTopics = 65536;

    /// <summary>How long a subscription waits for the relay to receive its topic from other hosts before it counts as made anyway.</summary>
    private static readonly TimeSpan s_relaySubscribeTimeout = TimeSpan.FromSeconds(10);

    private readonly PluginBusOptions _options;
    private readonly IPluginSerializer _serializer;
    private readonly LocalSubscriptionTable _locals = new();
    private readonly Dictionary<string, long> _sequences = new(StringComparer.Ordinal);
    private readonly Lock _publishLock = new();
    private readonly PluginIpcMetrics _metrics;
    private readonly ILogger _logger;
    private readonly PluginBusRelay? _relay;
    private readonly CancellationTokenSource _stopping = new();
    private readonly Task _relayRun;
    private int _disposed;
    private readonly byte[] _relayPrefix;
    private readonly Lock _topicsLock = new();

    public HostBus(IOptions<PluginIpcOptions> options, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Value.Bus.Snapshot();
        _serializer = PluginSerializers.Resolve(_options.Serializer);
        _metrics = PluginIpcMetrics.For(services.GetService<System.Diagnostics.Metrics.IMeterFactory>());
        _logger = (services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance).CreateLogger("PluginIpc.Bus");
        _relay = services.GetService<PluginBusRelay>();
        _relayPrefix = BusWire.RelayPrefix(HostId);
        if (_relay is null)
        {
            _relayRun = Task.CompletedTask;
        }
        else
        {
            _relay.Attach(DeliverRelayed);
            _relayRun = Task.Run(() => _relay.RunAsync(_stopping.Token));
        }
    }

    /// <summary>Gets this host's id: the origin of what it publishes to other hosts.</summary>
    public string HostId { get; } = Guid.NewGuid().ToString("N");

    /// <inheritdoc/>
    public IPluginSerializer Serializer => _serializer;

    /// <summary>Gets or sets what restarts a plugin of this host by name, for <c>sys.restart</c>; set by the plugin manager.</summary>
    public Func<string, Task>? RestartPlugin { get; set; }

    /// <inheritdoc/>
    public ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default)
    {
        BusTopics.Validate(topic, nameof(topic));
        cancellationToken.ThrowIfCancellationRequested();
        Publish(BusTopics.Expand(topic, _options.ApplicationId), payload, publisher: null, throwOnRelayFailure: true, owned: false);
        return ValueTask.CompletedTask;
    }

    /// <inheritdoc/>
    public ValueTask<IAsyncDisposable> SubscribeAsync(string topic, BusHandler handler, CancellationToken cancellationToken = default) =>
        SubscribeLocal(topic, pattern: false, handler, cancellationToken);

    /// <inheritdoc/>
    public ValueTask<IAsyncDisposable> SubscribePatternAsync(string pattern, BusHandler handler, CancellationToken cancellationToken = default) =>
        SubscribeLocal(pattern, pattern: true, handler, cancellationToken);

    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return; // registered as itself and as IPluginBus: the container disposes it twice
        }

        await _stopping.CancelAsync().ConfigureAwait(false);
        await _relayRun.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        foreach (LocalSubscription subscription in _locals.All)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }

        foreach (PluginBusLink link in Links)
        {
            await link.DisposeAsync().ConfigureAwait(false);
        }
    }

    /// <summary>Stops like <see cref="DisposeAsync"/>, for a service provider disposed with <c>Dispose()</c>: on the thread pool, where no synchronization context can deadlock it.</summary>
    public void Dispose() => Task.Run(async () => await DisposeAsync().ConfigureAwait(false)).GetAwaiter().GetResult();

    /// <summary>Numbers a message of this host, relays it to other hosts, and queues it for every subscriber here; never waits.</summary>
    /// <param name="topic">The full topic.</param>
    /// <param name="payload">The payload; copied unless <paramref name="owned"/> (then the bus keeps it as it is).</param>
    /// <param name="publisher">The publishing plugin, or <see langword="null"/> for host code.</param>
    /// <param name="throwOnRelayFailure">Whether a relay's refusal fails the publish (host code) or is logged (a plugin's publish).</param>
    /// <param name="owned">Whether <paramref name="payload"/> is the bus's own to keep.</param>
    /// <exception cref="PluginIpcException">The relay refused it (only when <paramref name="throwOnRelayFailure"/>; otherwise logged): nothing was delivered.</exception>
    internal void Publish(string topic, ReadOnlyMemory<byte> payload, string? publisher, bool throwOnRelayFailure, bool owned)
    {
        lock (_publishLock)
        {
            // Numbering and queueing under one lock: every subscriber sees a topic's messages in the order of their numbers.
            if (_sequences.Count >= MaxSequencedTopics && !_sequences.ContainsKey(topic))
            {
                _sequences.Clear();
            }

            ref long number = ref System.Runtime.InteropServices.CollectionsMarshal.GetValueRefOrAddDefault(_sequences, topic, out _); // one lookup
            long sequence = number + 1;
            if (_relay is not null)
            {
                // The frame is never changed once made: the payload's copy in it serves the subscribers here too.
                byte[] frame = BusWire.Relay(_relayPrefix, topic, sequence, publisher, payload.Span);
                payload = frame.AsMemory(frame.Length - payload.Length);
                owned = true;
                try
                {
                    _relay.Send(topic, frame);
                }
                catch (Exception ex) when (!throwOnRelayFailure && ex is not OutOfMemoryException)
                {
                    BusLog.RelayFailed(_logger, topic, ex); // a plugin's publish: nobody to throw to; it still reaches this host
                }
            }

            // Numbered only once it is sure to be delivered: a publish the relay refused leaves no gap (nothing is delivered).
            number = sequence;

            // Made only for a subscriber here: a host that publishes what only other hosts want allocates no envelope.
            if (topic == BusTopics.Restart || _locals.HasSubscribers(topic) || AnyLinkWants(topic))
            {
                Deliver(new BusEnvelope(topic, "", sequence, publisher, owned ? payload : payload.ToArray()));
            }
        }

        _metrics.BusPublished.Add(1);
    }

    /// <summary>
    /// Queues a message for one plugin of this host (by name) and for this host's subscribers of the topic, such as the
    /// <c>sys.config.changed</c> of that plugin's configuration: not numbered (sequence 0, so nobody counts a gap), not relayed to other hosts.
    /// </summary>
    /// <param name="plugin">The plugin's name; a plugin the manager never started gets nothing.</param>
    /// <param name="topic">The full topic.</param>
    /// <param name="payload">The payload, the bus's own to keep.</param>
    /// <param name="publisher">The plugin that caused it, or <see langword="null"/> for host code.</param>
    internal void DeliverTo(string plugin, string topic, ReadOnlyMemory<byte> payload, string? publisher)
    {
        var envelope = new BusEnvelope(topic, "", 0, publisher, payload);
        lock (_publishLock)
        {
            // Under the publish lock, as every delivery: each subscriber sees them in the order they were made.
            _locals.Offer(envelope);
            foreach (PluginBusLink link in Links)
            {
                if (link.Name == plugin)
                {
                    link.Offer(envelope);
                }
            }
        }

        _metrics.BusPublished.Add(1);
    }

    private bool AnyLinkWants(string topic)
    {
        foreach (PluginBusLink link in Links)
        {
            if (link.Wants(topic))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Queues a message for this host's subscribers and plugins, and acts on the system topics the host handles.</summary>
    private void Deliver(BusEnvelope envelope)
    {
        _locals.Offer(envelope);
        foreach (PluginBusLink link in Links)
        {
            if (link.Wants(envelope.Topic))
            {
                link.Offer(envelope);
            }
        }

        if (envelope.Topic == BusTopics.Restart)
        {
            RestartNamed(envelope.Payload);
        }
    }

    private async ValueTask<IAsyncDisposable> SubscribeLocal(string topic, bool pattern, BusHandler handler, CancellationToken cancellationToken)
    {
        BusTopics.Validate(topic, pattern ? "pattern" : nameof(topic), pattern);
        ArgumentNullException.ThrowIfNull(handler);
        cancellationToken.ThrowIfCancellationRequested();
        var subscription = new LocalSubscription(BusTopics.Expand(topic, _options.ApplicationId), pattern, handler, _options, _serializer, Unsubscribe, _metrics, _logger, "host");
        if (_locals.Add(subscription) == 1)
        {
            await TellRelayAsync(wait: true).ConfigureAwait(false);
        }

        return subscription;
    }

    private ValueTask Unsubscribe(LocalSubscription subscription)
    {
        if (_locals.Remove(subscription) == 0)
        {
            _ = TellRelayAsync(wait: false);
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>
    /// Tells the relay the topics and patterns this host's subscribers and plugins need from other hosts (system topics aside).
    /// With <paramref name="wait"/>, waits until the relay receives them (bounded); a relay failure is logged, never thrown.
    /// </summary>
    internal async Task TellRelayAsync(bool wait)
    {
        if (_relay is null)
        {
            return;
        }

        var topics = new HashSet<string>(StringComparer.Ordinal);
        var patterns = new HashSet<string>(StringComparer.Ordinal);
        Task told;
        lock (_topicsLock)
        {
            // Gathered and handed over under one lock: the relay is told the sets in the order they were, the newest last.
            _locals.CollectTopics(topics, patterns);
            foreach (PluginBusLink link in Links)
            {
                link.CollectTopics(topics, patterns);
            }

            topics.RemoveWhere(BusTopics.IsSystem);
            patterns.RemoveWhere(BusTopics.IsSystem); // what such a pattern matches is a system topic: always received
            try
            {
                told = _relay.OnSubscriptionsChangedAsync(topics, patterns);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                told = Task.FromException(ex);
            }
        }

        try
        {
            await (wait ? told.WaitAsync(s_relaySubscribeTimeout) : told).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            BusLog.RelaySubscribeFailed(_logger, topics.Count, patterns.Count, ex);
        }
    }
}
