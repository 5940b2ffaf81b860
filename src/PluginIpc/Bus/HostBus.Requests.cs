namespace PluginIpc;

/// <content>Requests: one subscriber after the other until one replies, or all at once.</content>
internal sealed partial class HostBus
{
    /// <summary>The longest a plugin's bus request may ask the host to wait.</summary>
    private static readonly TimeSpan s_maxPluginTimeout = TimeSpan.FromMinutes(10);

    /// <inheritdoc/>
    public Task<BusMessage> RequestAsync(string topic, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        BusTopics.Validate(topic, nameof(topic));
        CheckTimeout(timeout);
        return RequestOneAsync(new BusEnvelope(BusTopics.Expand(topic, _options.ApplicationId), "", 0, null, payload.ToArray()), timeout, cancellationToken);
    }

    /// <inheritdoc/>
    public Task<IReadOnlyList<BusMessage>> RequestAllAsync(string topic, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default)
    {
        BusTopics.Validate(topic, nameof(topic));
        CheckTimeout(timeout);
        return RequestEveryAsync(new BusEnvelope(BusTopics.Expand(topic, _options.ApplicationId), "", 0, null, payload.ToArray()), timeout, cancellationToken);
    }

    private static void CheckTimeout(TimeSpan timeout)
    {
        if (timeout <= TimeSpan.Zero && timeout != System.Threading.Timeout.InfiniteTimeSpan)
        {
            throw new ArgumentOutOfRangeException(nameof(timeout), timeout, "The timeout must be positive, or System.Threading.Timeout.InfiniteTimeSpan.");
        }
    }

    private static RemoteException NoSubscribers(string message) => new(ErrorCodes.NoSubscribers, message);

    private static TimeoutException TimedOut(BusEnvelope request, TimeSpan timeout) =>
        new($"No reply to the bus request of topic '{request.Topic}' came within {timeout}.");

    private async Task<BusMessage> RequestOneAsync(BusEnvelope request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        List<Responder> responders = Responders(request.Topic);
        if (responders.Count == 0)
        {
            throw NoSubscribers($"Nobody subscribes to topic '{request.Topic}'.");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            foreach (Responder responder in responders)
            {
                if (await responder.AskAsync(request, timeout, deadline.Token).ConfigureAwait(false) is { } reply)
                {
                    return new BusMessage(new BusEnvelope(request.Topic, "", 0, responder.Name, reply), 0, _serializer);
                }
            }
        }
        catch (Exception ex) when (ex is OperationCanceledException or TimeoutException && !cancellationToken.IsCancellationRequested)
        {
            throw TimedOut(request, timeout);
        }

        throw NoSubscribers($"None of the {responders.Count} subscribers of topic '{request.Topic}' took the request.");
    }

    private async Task<IReadOnlyList<BusMessage>> RequestEveryAsync(BusEnvelope request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        List<Responder> responders = Responders(request.Topic);
        if (responders.Count == 0)
        {
            throw NoSubscribers($"Nobody subscribes to topic '{request.Topic}'.");
        }

        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        var replies = new List<BusMessage>();
        Exception? firstFailure = null;
        int pending = responders.Count;
        var asks = responders.Select(async responder =>
        {
            try
            {
                if (await responder.AskAsync(request, timeout, deadline.Token).ConfigureAwait(false) is { } reply)
                {
                    lock (replies)
                    {
                        if (replies.Count < BusWire.MaxReplies)
                        {
                            replies.Add(new BusMessage(new BusEnvelope(request.Topic, "", 0, responder.Name, reply), 0, _serializer));
                        }
                    }
                }

                Interlocked.Decrement(ref pending);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                if (ex is not OperationCanceledException and not TimeoutException)
                {
                    Interlocked.Decrement(ref pending);
                    Interlocked.CompareExchange(ref firstFailure, ex, null);
                    BusLog.RequestFailed(_logger, request.Topic, ex);
                }
            }
        }).ToArray();
        await Task.WhenAll(asks).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        lock (replies)
        {
            if (replies.Count > 0)
            {
                return replies;
            }
        }

        if (Volatile.Read(ref pending) > 0)
        {
            throw TimedOut(request, timeout); // a failure counts only when every subscriber that took it failed
        }

        throw firstFailure ?? NoSubscribers($"None of the {responders.Count} subscribers of topic '{request.Topic}' took the request.");
    }

    /// <summary>Answers a plugin's <c>bus.request</c>: <c>[publisher, payload]</c>, or for "all" an array of them.</summary>
    private async ValueTask<ReadOnlyMemory<byte>> RequestForPluginAsync(PluginBusLink link, Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken)
    {
        IPluginSerializer serializer = PluginSerializers.Resolve(peer.Serializer);
        (string topic, ReadOnlyMemory<byte> payload, bool all, long timeoutMs) = BusWire.ReadRequest(serializer, chunk);
        if (BusTopics.ProblemOfSent(topic, pattern: false, _options.ApplicationId) is { } problem)
        {
            throw new RemoteException(ErrorCodes.InvalidRequest, problem) { Cmd = chunk.Cmd };
        }

        topic = BusTopics.Expand(topic, _options.ApplicationId);
        if (!link.Publish.Allows(topic))
        {
            throw Refuse(link, $"plugin '{link.Name}' may not send requests to topic '{topic}'.", chunk.Cmd);
        }

        TimeSpan timeout = TimeSpan.FromMilliseconds(Math.Clamp(timeoutMs, 1, (long)s_maxPluginTimeout.TotalMilliseconds));
        var request = new BusEnvelope(topic, "", 0, link.Name, payload);
        try
        {
            IReadOnlyList<BusMessage> replies = all
                ? await RequestEveryAsync(request, timeout, cancellationToken).ConfigureAwait(false)
                : [await RequestOneAsync(request, timeout, cancellationToken).ConfigureAwait(false)];
            return BusWire.Replies(serializer, replies, all);
        }
        catch (TimeoutException ex)
        {
            throw new RemoteException(ErrorCodes.Timeout, ex.Message) { Cmd = chunk.Cmd };
        }
    }

    /// <summary>Returns who may answer a request of <paramref name="topic"/>: the host's own subscribers first, then its plugins.</summary>
    private List<Responder> Responders(string topic)
    {
        var responders = new List<Responder>();
        foreach (LocalSubscription subscription in _locals.Matching(topic))
        {
            responders.Add(new Responder(null, subscription, null));
        }

        foreach (PluginBusLink link in Links)
        {
            // Only plugins that subscribed (system topics need no subscription) and run, or are starting again.
            if ((link.Subscribed(topic) || (BusTopics.IsSystem(topic) && link.Wants(topic))) && link.MayAnswer)
            {
                responders.Add(new Responder(link.Name, null, link));
            }
        }

        return responders;
    }

    /// <summary>One subscriber a request may go to: a handler of this host, or a plugin.</summary>
    private sealed record Responder(string? Name, LocalSubscription? Local, PluginBusLink? Link)
    {
        /// <summary>Returns the reply, or <see langword="null"/> when the subscriber did not take the request.</summary>
        public async Task<byte[]?> AskAsync(BusEnvelope request, TimeSpan timeout, CancellationToken cancellationToken)
        {
            if (Link is not null)
            {
                return await Link.RequestAsync(request, timeout, cancellationToken).ConfigureAwait(false);
            }

            var slot = new BusReplySlot();
            return Local!.Offer(request.WithReply(slot)) ? await slot.Outcome.WaitAsync(cancellationToken).ConfigureAwait(false) : null;
        }
    }
}
