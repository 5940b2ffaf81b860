using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>
/// The host bus's side of one plugin (by name, so it outlives restarts): what the plugin subscribed to and may use, and a
/// bounded queue with a pump that sends it its messages as <c>bus.message</c>.
/// </summary>
internal sealed class PluginBusLink : EnvelopePump, IAsyncDisposable
{
    /// <summary>The most topics and patterns one plugin may subscribe to.</summary>
    public const int MaxSubscriptions = 1024;

    /// <summary>The most patterns one plugin may subscribe to: each message's topic is matched against them all.</summary>
    public const int MaxPatterns = 64;

    /// <summary>How many distinct topics a plugin published are remembered for <see cref="PluginStatus.PublishedTopics"/>.</summary>
    public const int MaxPublishedTopics = 100;

    private readonly PluginIpcMetrics _metrics;
    private readonly ILogger _logger;
    private readonly Lock _lock = new();
    private readonly BoundedNameSet _published = new(MaxPublishedTopics);
    private int _disposed;
    private IChunkPeer _peer;
    private readonly Action _subscriptionsDropped;
    private Subscriptions _subscriptions = new([], []);
    private HashSet<string>? _stale; // guarded by _lock: the keys of subscriptions an earlier process made, not yet made again
    private TaskCompletionSource _peerChanged = new(TaskCreationOptions.RunContinuationsAsynchronously);

    /// <summary>Starts the link of <paramref name="peer"/> and its pump.</summary>
    /// <param name="peer">The plugin (or another peer) the link sends to.</param>
    /// <param name="publish">The topics it may publish to.</param>
    /// <param name="subscribe">The topics it may subscribe to.</param>
    /// <param name="options">The queue's settings.</param>
    /// <param name="metrics">Where drops are counted.</param>
    /// <param name="logger">Where failures are logged.</param>
    /// <param name="subscriptionsDropped">Called when subscriptions of an earlier process were dropped (see <see cref="OnStateChanged"/>).</param>
    public PluginBusLink(IChunkPeer peer, TopicAllowList publish, TopicAllowList subscribe, PluginBusOptions options, PluginIpcMetrics metrics, ILogger logger, Action subscriptionsDropped)
        : base(options, metrics)
    {
        _peer = peer;
        Name = peer.Name;
        Publish = publish;
        Subscribe = subscribe;
        _metrics = metrics;
        _logger = logger;
        _subscriptionsDropped = subscriptionsDropped;
        Watch(peer);
        Start();
    }

    public string Name { get; }

    public IChunkPeer Peer => Volatile.Read(ref _peer);

    public TopicAllowList Publish { get; private set; }

    public TopicAllowList Subscribe { get; private set; }

    /// <summary>Points the link at a new <see cref="Plugin"/> of the same name (started anew by the manager), keeping its subscriptions.</summary>
    public void Reattach(IChunkPeer peer, TopicAllowList publish, TopicAllowList subscribe)
    {
        Publish = publish;
        Subscribe = subscribe;
        if (Volatile.Read(ref _peer) is Plugin old && !ReferenceEquals(old, peer))
        {
            old.StateChanged -= OnStateChanged;
        }

        MarkStale(); // a new process is coming
        Watch(peer);
        Volatile.Write(ref _peer, peer);
        Interlocked.Exchange(ref _peerChanged, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)).TrySetResult();
    }

    private void Watch(IChunkPeer peer)
    {
        if (peer is Plugin plugin)
        {
            plugin.StateChanged -= OnStateChanged; // once, however often it is attached
            plugin.StateChanged += OnStateChanged;
        }
    }

    /// <summary>
    /// Subscriptions belong to the plugin's name and hold while a new process comes, so that what is published meanwhile
    /// waits for it. Once the new process runs (its start hook has finished: a plugin side answers the handshake only then),
    /// those it did not make again are dropped: it does not know them, and one made per run would pile up.
    /// </summary>
    private void OnStateChanged(object? sender, PluginStateChangedEventArgs change)
    {
        if (change.PreviousState == PluginState.Running && change.State != PluginState.Running)
        {
            MarkStale();
        }
        else if (change.State == PluginState.Running && DropStale())
        {
            _subscriptionsDropped();
        }
    }

    private void MarkStale()
    {
        lock (_lock)
        {
            Subscriptions current = _subscriptions;
            _stale = [.. current.Exact.Select(ExactKey), .. current.Patterns.Select(p => PatternKey(p.Text))];
        }
    }

    /// <summary>Drops the subscriptions an earlier process made and the current one did not make again; returns whether there were any.</summary>
    private bool DropStale()
    {
        lock (_lock)
        {
            HashSet<string>? stale = _stale;
            _stale = null;
            if (stale is null || stale.Count == 0)
            {
                return false;
            }

            Subscriptions old = _subscriptions;
            Volatile.Write(ref _subscriptions, new Subscriptions(
                new HashSet<string>(old.Exact.Where(t => !stale.Contains(ExactKey(t))), StringComparer.Ordinal),
                [.. old.Patterns.Where(p => !stale.Contains(PatternKey(p.Text)))]));
            BusLog.StaleSubscriptionsDropped(_logger, Name, stale.Count);
            return true;
        }
    }

    private static string ExactKey(string topic) => "t" + topic;

    private static string PatternKey(string pattern) => "p" + pattern;

    /// <summary>Returns whether the plugin should get a message of <paramref name="topic"/>: every system topic, and the others it subscribed to and may read.</summary>
    public bool Wants(string topic)
    {
        if (BusTopics.IsSystem(topic))
        {
            return true;
        }

        Subscriptions subscriptions = Volatile.Read(ref _subscriptions);
        if (!subscriptions.Exact.Contains(topic) && !AnyMatches(subscriptions.Patterns, topic))
        {
            return false;
        }

        return Subscribe.Allows(topic); // again at delivery: a pattern may reach wider than the list
    }

    // A loop, not Any with a lambda: a lambda capturing the topic would allocate on every call, matched or not.
    private static bool AnyMatches(TopicPattern[] patterns, string topic)
    {
        foreach (TopicPattern pattern in patterns)
        {
            if (pattern.IsMatch(topic))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Gets whether the plugin subscribed to <paramref name="topic"/> (not counting system topics), for requests.</summary>
    public bool Subscribed(string topic) => !BusTopics.IsSystem(topic) && Wants(topic);

    /// <summary>Adds a subscription; returns why it is refused, or <see langword="null"/>.</summary>
    public string? Add(string topic, bool pattern)
    {
        lock (_lock)
        {
            Subscriptions old = _subscriptions;
            if (pattern ? old.Patterns.Any(p => p.Text == topic) : old.Exact.Contains(topic))
            {
                _stale?.Remove(pattern ? PatternKey(topic) : ExactKey(topic)); // made again by the new process: kept
                return null; // once, however many times it is sent
            }

            // Those of an earlier process, not made again yet, are left out: they go once this process runs, and a process that
            // makes new topics per run must not be refused at its start for its predecessor's.
            int stalePatterns = _stale is null ? 0 : old.Patterns.Count(p => _stale.Contains(PatternKey(p.Text)));
            int staleExact = _stale is null ? 0 : _stale.Count - stalePatterns;
            int patterns = old.Patterns.Length - stalePatterns;
            if (old.Exact.Count - staleExact + patterns >= MaxSubscriptions || (pattern && patterns >= MaxPatterns))
            {
                return pattern && patterns >= MaxPatterns
                    ? $"plugin '{Name}' has {MaxPatterns} pattern subscriptions, the most it may have"
                    : $"plugin '{Name}' has {MaxSubscriptions} subscriptions, the most it may have";
            }

            Volatile.Write(ref _subscriptions, pattern
                ? old with { Patterns = [.. old.Patterns.Where(p => p.Text != topic), new TopicPattern(topic)] }
                : old with { Exact = new HashSet<string>(old.Exact, StringComparer.Ordinal) { topic } });
            return null;
        }
    }

    /// <summary>Removes a subscription; returns whether there was one.</summary>
    public bool Remove(string topic, bool pattern)
    {
        lock (_lock)
        {
            Subscriptions old = _subscriptions;
            var exact = new HashSet<string>(old.Exact, StringComparer.Ordinal);
            bool removed = pattern ? old.Patterns.Any(p => p.Text == topic) : exact.Remove(topic);
            _stale?.Remove(pattern ? PatternKey(topic) : ExactKey(topic));
            Volatile.Write(ref _subscriptions, pattern ? old with { Patterns = [.. old.Patterns.Where(p => p.Text != topic)] } : old with { Exact = exact });
            return removed;
        }
    }

    /// <summary>Notes that the plugin published to <paramref name="topic"/>; the first <see cref="MaxPublishedTopics"/> distinct topics are kept.</summary>
    public void NotePublished(string topic) => _published.Resolve(topic);

    /// <summary>Returns the topics the plugin published to (up to <see cref="MaxPublishedTopics"/>) and the topics and patterns it subscribes to, each sorted.</summary>
    public (string[] Published, string[] Subscriptions) Topics()
    {
        Subscriptions subscriptions = Volatile.Read(ref _subscriptions);
        string[] published = _published.Snapshot();
        Array.Sort(published, StringComparer.Ordinal);
        return (published, [.. subscriptions.Exact.Concat(subscriptions.Patterns.Select(p => p.Text)).Order(StringComparer.Ordinal)]);
    }

    /// <summary>Adds the plugin's subscribed topics and patterns to the sets (what the host needs from other hosts).</summary>
    public void CollectTopics(HashSet<string> topics, HashSet<string> patterns)
    {
        Subscriptions subscriptions = Volatile.Read(ref _subscriptions);
        topics.UnionWith(subscriptions.Exact);
        foreach (TopicPattern pattern in subscriptions.Patterns)
        {
            patterns.Add(pattern.Text);
        }
    }

    /// <summary>Gets whether the plugin runs, or is on its way to run again: one that stopped or failed for good is not asked.</summary>
    public bool MayAnswer => Peer is not Plugin plugin || plugin.State is PluginState.Running or PluginState.Restarting or PluginState.Starting;

    /// <summary>
    /// Asks the plugin; returns its reply, or <see langword="null"/> when it did not take the request: none of its subscribers
    /// took it, it does not know the command, or it is gone (the next subscriber is asked).
    /// </summary>
    public async Task<byte[]?> RequestAsync(BusEnvelope envelope, TimeSpan timeout, CancellationToken cancellationToken)
    {
        IChunkPeer peer = Peer;
        IPluginSerializer serializer = PluginSerializers.Resolve(peer.Serializer);
        try
        {
            ReadOnlyMemory<byte> reply = await peer.CallAsync(Commands.BusRequest, BusWire.Message(serializer, envelope), timeout, cancellationToken).ConfigureAwait(false);
            return reply.ToArray();
        }
        catch (RemoteException ex) when (ex.Code is ErrorCodes.NoSubscribers or ErrorCodes.UnknownCommand)
        {
            return null;
        }
        catch (Exception ex) when (ex is ChannelClosedException or PluginStartException or InvalidOperationException)
        {
            BusLog.PluginDeliveryFailed(_logger, Name, ex);
            return null;
        }
    }

    public async ValueTask DisposeAsync()
    {
        // Safe twice: the bus is disposed as itself and as IPluginBus.
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        if (Volatile.Read(ref _peer) is Plugin plugin)
        {
            plugin.StateChanged -= OnStateChanged;
        }

        await StopAsync(waitForPump: true).ConfigureAwait(false);
    }

    /// <summary>Sends one message to the plugin as <c>bus.message</c>.</summary>
    protected override ValueTask Process(BusEnvelope envelope, CancellationToken stop)
    {
        IChunkPeer peer = Peer;
        if (peer is Plugin { State: not (PluginState.Running or PluginState.Restarting or PluginState.Starting) })
        {
            return SendWhenRunningAsync(envelope, stop); // the manager is replacing it
        }

        return peer.NotifyAsync(Commands.BusMessage, envelope.Encoded(PluginSerializers.Resolve(peer.Serializer)), stop);
    }

    /// <summary>The plugin is not running: the message is lost, and counted.</summary>
    protected override void OnFailed(BusEnvelope envelope, Exception failure, CancellationToken stop)
    {
        if (!stop.IsCancellationRequested)
        {
            _metrics.RecordBusDropped(Name);
            BusLog.PluginDeliveryFailed(_logger, Name, failure);
        }
    }

    protected override void OnDropped(BusEnvelope envelope) => _metrics.RecordBusDropped(Name);

    private async ValueTask SendWhenRunningAsync(BusEnvelope envelope, CancellationToken stop)
    {
        IChunkPeer peer = await RunningPeerAsync(stop).ConfigureAwait(false);
        await peer.NotifyAsync(Commands.BusMessage, envelope.Encoded(PluginSerializers.Resolve(peer.Serializer)), stop).ConfigureAwait(false);
    }

    /// <summary>
    /// Returns the plugin to send to, waiting (within its call timeout) while the manager replaces it (<c>sys.restart</c>, a stop
    /// and a new start), so that the queue keeps what is published meanwhile. A restart within the plugin's own policy needs no
    /// wait here: its calls wait for the new process themselves.
    /// </summary>
    /// <exception cref="ChannelClosedException">It stays stopped or failed.</exception>
    private async Task<IChunkPeer> RunningPeerAsync(CancellationToken stop)
    {
        long deadline = Environment.TickCount64 + (long)Peer.DefaultCallTimeout.TotalMilliseconds;
        while (true)
        {
            Task changed = Volatile.Read(ref _peerChanged).Task;
            IChunkPeer peer = Peer;
            if (peer is not Plugin plugin || plugin.State is PluginState.Running or PluginState.Restarting or PluginState.Starting)
            {
                return peer;
            }

            long left = deadline - Environment.TickCount64;
            if (left <= 0)
            {
                throw new ChannelClosedException($"Plugin '{Name}' is not running ({plugin.State}).");
            }

            if (plugin.State is PluginState.Created)
            {
                await plugin.WhenReadyAsync(stop).WaitAsync(TimeSpan.FromMilliseconds(left), stop).ConfigureAwait(false); // the manager is starting it
                return peer;
            }

            await Task.WhenAny(changed, Task.Delay(TimeSpan.FromMilliseconds(left), stop)).ConfigureAwait(false); // stopping, stopped or failed: a new one may come
            stop.ThrowIfCancellationRequested();
        }
    }

    private sealed record Subscriptions(HashSet<string> Exact, TopicPattern[] Patterns);
}
