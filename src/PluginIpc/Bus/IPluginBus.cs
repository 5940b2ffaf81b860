namespace PluginIpc;

/// <summary>
/// Publish/subscribe and request/reply by topic between the host's own components and its plugins (and, with a relay such as
/// PluginIpc.Redis, other hosts). Resolve it from DI in a host (<c>AddPluginIpc</c> registers it); a plugin uses <see cref="Main.Bus"/>.
/// </summary>
/// <remarks>
/// <para>
/// Delivery is at most once, in order per publisher and topic. Each subscriber has a bounded queue
/// (<see cref="PluginBusOptions.QueueCapacity"/>); a slow subscriber loses messages (see <see cref="BusMessage.Missed"/>) and never
/// slows the publisher or the other subscribers. A topic starting with <c>:</c> gets the host's <see cref="PluginBusOptions.ApplicationId"/>
/// as prefix. Topics starting with <c>sys.</c> reach every plugin without a subscription.
/// </para>
/// <para>Text and typed forms are in <see cref="PluginBusExtensions"/>. All members are thread safe.</para>
/// </remarks>
public interface IPluginBus
{
    /// <summary>Gets the format of the typed forms' payloads (<see cref="PluginBusExtensions"/>).</summary>
    IPluginSerializer Serializer { get; }

    /// <summary>Publishes <paramref name="payload"/> to every subscriber of <paramref name="topic"/>, without waiting for them.</summary>
    /// <param name="topic">The topic: not empty, no <c>*</c>, no control characters, at most 256 UTF-8 bytes.</param>
    /// <param name="payload">The message; subscribers receive a copy.</param>
    /// <param name="cancellationToken">Cancels the publish if it has not been handed over yet.</param>
    /// <returns>A task that completes when the message is queued for its subscribers (in a plugin: when it is written to its host).</returns>
    /// <exception cref="ArgumentException"><paramref name="topic"/> is not a valid topic.</exception>
    /// <exception cref="UnauthorizedAccessException">A plugin may not publish to <paramref name="topic"/> (its host's allow-list, or a <c>sys.</c> topic).</exception>
    /// <exception cref="PluginIpcException">The bus cannot take it (a relay that fails during an outage, a plugin whose host has no bus).</exception>
    ValueTask PublishAsync(string topic, ReadOnlyMemory<byte> payload, CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="handler"/> for each message of <paramref name="topic"/>, exactly that topic, until the returned handle is disposed.</summary>
    /// <param name="topic">The topic; one that contains <c>*</c> is refused (use <see cref="SubscribePatternAsync"/>).</param>
    /// <param name="handler">Runs for one message at a time, in order, off the publisher's thread; replies to requests with <see cref="BusMessage.Reply(ReadOnlyMemory{byte})"/>.</param>
    /// <param name="cancellationToken">Cancels the subscribing.</param>
    /// <returns>A handle whose disposal unsubscribes; messages already queued are dropped.</returns>
    /// <exception cref="ArgumentException"><paramref name="topic"/> is not a valid topic.</exception>
    /// <exception cref="UnauthorizedAccessException">A plugin may not subscribe to <paramref name="topic"/>.</exception>
    ValueTask<IAsyncDisposable> SubscribeAsync(string topic, BusHandler handler, CancellationToken cancellationToken = default);

    /// <summary>Runs <paramref name="handler"/> for each message whose topic matches <paramref name="pattern"/>, until the returned handle is disposed.</summary>
    /// <param name="pattern">A topic in which each <c>*</c> (at most 8) matches any run of characters, dots included (<c>orders.*</c>).</param>
    /// <param name="handler">Runs for one message at a time, in order, off the publisher's thread.</param>
    /// <param name="cancellationToken">Cancels the subscribing.</param>
    /// <returns>A handle whose disposal unsubscribes.</returns>
    /// <exception cref="ArgumentException"><paramref name="pattern"/> is not a valid pattern.</exception>
    /// <exception cref="UnauthorizedAccessException">A plugin may not subscribe to <paramref name="pattern"/>.</exception>
    ValueTask<IAsyncDisposable> SubscribePatternAsync(string pattern, BusHandler handler, CancellationToken cancellationToken = default);

    /// <summary>
    /// Asks the subscribers of <paramref name="topic"/>, one after the other, until one replies: the host's own subscribers first,
    /// then its plugins. A subscriber whose handler returns without replying (or whose queue is full) passes the request on.
    /// </summary>
    /// <param name="topic">The topic.</param>
    /// <param name="payload">The request.</param>
    /// <param name="timeout">How long to wait for a reply in all.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The reply; its <see cref="BusMessage.Publisher"/> names the plugin that replied (<see langword="null"/> for the host's own code).</returns>
    /// <exception cref="RemoteException">Code <see cref="ErrorCodes.NoSubscribers"/>, at once: nobody subscribes to the topic, or nobody took it. Another code: the subscriber that took it failed.</exception>
    /// <exception cref="TimeoutException">No reply came within <paramref name="timeout"/>.</exception>
    /// <exception cref="UnauthorizedAccessException">A plugin may not publish to <paramref name="topic"/>.</exception>
    Task<BusMessage> RequestAsync(string topic, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default);

    /// <summary>Asks every subscriber of <paramref name="topic"/> at once and gathers the replies that come within <paramref name="timeout"/>.</summary>
    /// <param name="topic">The topic.</param>
    /// <param name="payload">The request.</param>
    /// <param name="timeout">How long to gather replies.</param>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>The replies, at least one, in the order they came. Subscribers that failed are left out (and logged on the host).</returns>
    /// <exception cref="RemoteException">Code <see cref="ErrorCodes.NoSubscribers"/>: nobody subscribes, or nobody replied or failed. Another code: every subscriber that took it failed; the first failure.</exception>
    /// <exception cref="TimeoutException">No reply came within <paramref name="timeout"/>.</exception>
    Task<IReadOnlyList<BusMessage>> RequestAllAsync(string topic, ReadOnlyMemory<byte> payload, TimeSpan timeout, CancellationToken cancellationToken = default);
}
