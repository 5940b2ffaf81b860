namespace PluginIpc;

/// <content>The plugins of the host: their links, and the bus commands they send.</content>
internal sealed partial class HostBus
{
    private readonly Lock _linksLock = new();
    private PluginBusLink[] _links = [];

    private PluginBusLink[] Links => Volatile.Read(ref _links);

    /// <summary>
    /// Connects <paramref name="plugin"/> to the bus: it may now use the bus commands, within its allow-lists. A plugin of a name
    /// seen before (started anew) keeps that name's subscriptions until its new process runs (see <see cref="PluginBusLink"/>).
    /// </summary>
    public void Attach(Plugin plugin, IEnumerable<string>? publish, IEnumerable<string>? subscribe)
    {
        var publishList = new TopicAllowList(publish, _options.ApplicationId);
        var subscribeList = new TopicAllowList(subscribe, _options.ApplicationId);
        PluginBusLink link;
        lock (_linksLock)
        {
            if (_links.FirstOrDefault(l => l.Name == plugin.Name) is { } existing)
            {
                existing.Reattach(plugin, publishList, subscribeList);
                link = existing;
            }
            else
            {
                link = new PluginBusLink(plugin, publishList, subscribeList, _options, _metrics, _logger, () => _ = TellRelayAsync(wait: false));
                Volatile.Write(ref _links, [.. _links, link]);
            }
        }

        plugin.Handle(Commands.BusHello, (_, peer, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(
            BusWire.Hello(PluginSerializers.Resolve(peer.Serializer), _options.ApplicationId, HostId, link.Publish.Entries, link.Subscribe.Entries)));
        plugin.Handle(Commands.BusSubscribe, (chunk, peer, _) => ChangeSubscription(link, chunk, peer, subscribe: true));
        plugin.Handle(Commands.BusUnsubscribe, (chunk, peer, _) => ChangeSubscription(link, chunk, peer, subscribe: false));
        plugin.Handle(Commands.BusRequest, (chunk, peer, cancellationToken) => RequestForPluginAsync(link, chunk, peer, cancellationToken));

        // On the read loop: a plugin's publishes are numbered and queued in the order it sent them.
        ((Contracts.IContractPeer)plugin).HandleInline(Commands.BusPublish, (chunk, peer, _) =>
        {
            PublishForPlugin(link, chunk, peer);
            return default;
        });
    }

    /// <summary>Returns the topics the plugin named <paramref name="plugin"/> published to and subscribes to; empty when it never used the bus.</summary>
    public (string[] Published, string[] Subscriptions) TopicsOf(string plugin) =>
        Links.FirstOrDefault(l => l.Name == plugin) is { } link ? link.Topics() : ([], []);

    private async ValueTask<ReadOnlyMemory<byte>> ChangeSubscription(PluginBusLink link, Chunk chunk, IChunkPeer peer, bool subscribe)
    {
        (string topic, bool pattern) = BusWire.ReadSubscription(PluginSerializers.Resolve(peer.Serializer), chunk);
        if (BusTopics.ProblemOfSent(topic, pattern, _options.ApplicationId) is { } problem)
        {
            throw new RemoteException(ErrorCodes.InvalidRequest, problem) { Cmd = chunk.Cmd };
        }

        topic = BusTopics.Expand(topic, _options.ApplicationId);
        if (!subscribe)
        {
            if (link.Remove(topic, pattern))
            {
                _ = TellRelayAsync(wait: false);
            }

            return default;
        }

        if (!BusTopics.IsSystem(topic) && !link.Subscribe.Allows(topic))
        {
            throw Refuse(link, $"plugin '{link.Name}' may not subscribe to {(pattern ? "pattern" : "topic")} '{topic}'.", chunk.Cmd);
        }

        if (!BusTopics.IsSystem(topic))
        {
            if (link.Add(topic, pattern) is { } full)
            {
                throw new RemoteException(ErrorCodes.InvalidRequest, $"Subscribing to '{topic}' was refused: {full}.") { Cmd = chunk.Cmd };
            }

            // Answered once other hosts' messages of the topic come here too, as for a subscriber in the host.
            await TellRelayAsync(wait: true).ConfigureAwait(false);
        }

        return default;
    }

    private void PublishForPlugin(PluginBusLink link, Chunk chunk, IChunkPeer peer)
    {
        string topic;
        ReadOnlyMemory<byte> payload;
        try
        {
            (topic, payload) = BusWire.ReadPublish(PluginSerializers.Resolve(peer.Serializer), chunk);
        }
        catch (RemoteException ex)
        {
            BusLog.PluginRefused(_logger, link.Name, ex.Message);
            _metrics.RecordBusDropped(link.Name);
            return; // one way: nobody to answer; the plugin's SDK checks before it sends
        }

        if (BusTopics.ProblemOfSent(topic, pattern: false, _options.ApplicationId) is { } problem)
        {
            BusLog.PluginRefused(_logger, link.Name, problem);
            _metrics.RecordBusDropped(link.Name);
            return;
        }

        topic = BusTopics.Expand(topic, _options.ApplicationId);
        if (!link.Publish.Allows(topic))
        {
            BusLog.PluginRefused(_logger, link.Name, $"plugin '{link.Name}' may not publish to topic '{topic}'; the message was dropped.");
            _metrics.RecordBusDropped(link.Name);
            return;
        }

        link.NotePublished(topic);
        Publish(topic, payload, link.Name, throwOnRelayFailure: false, owned: true); // read from the plugin's chunk, which owns its buffer
    }

    private RemoteException Refuse(PluginBusLink link, string reason, string cmd)
    {
        BusLog.PluginRefused(_logger, link.Name, reason);
        return new RemoteException(ErrorCodes.Forbidden, char.ToUpperInvariant(reason[0]) + reason[1..]) { Cmd = cmd };
    }
}
