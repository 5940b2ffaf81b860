namespace PluginIpc;

/// <summary>
/// Carries a host's bus messages to other hosts and theirs to it, as a companion package does (PluginIpc.Redis). Register
/// one as a singleton <see cref="PluginBusRelay"/>; the host's <see cref="IPluginBus"/> finds it, runs it, and hands it every
/// message published on this host. Messages are opaque frames here: the bus encodes and checks them (docs/PROTOCOL.md, section 9).
/// </summary>
public abstract class PluginBusRelay
{
    private Action<ReadOnlyMemory<byte>, string?>? _receive;

    /// <summary>
    /// Sends a frame to every other host. Called in publish order, under the bus's publish lock: it must not block, and must not
    /// call <see cref="Receive(ReadOnlyMemory{byte})"/> (of any relay) on this thread, since that takes a bus's lock too.
    /// </summary>
    /// <param name="frame">The message; the relay may keep it.</param>
    /// <exception cref="PluginIpcException">The relay cannot take the frame (its policy during an outage is to fail); the publish fails with it.</exception>
    protected internal abstract void Send(ReadOnlyMemory<byte> frame);

    /// <summary>
    /// Sends a frame of <paramref name="topic"/> to the other hosts that need it; the bus calls this one. By default it calls
    /// <see cref="Send(ReadOnlyMemory{byte})"/>; a relay that routes by topic overrides it. Same rules: in publish order, never blocking.
    /// </summary>
    /// <param name="topic">The message's full topic (application prefix included), as in the frame.</param>
    /// <param name="frame">The message; the relay may keep it.</param>
    /// <exception cref="PluginIpcException">The relay cannot take the frame; the publish fails with it.</exception>
    protected internal virtual void Send(string topic, ReadOnlyMemory<byte> frame) => Send(frame);

    /// <summary>
    /// Told, each time it changes, which topics and patterns this host's subscribers (its code's and its plugins') need from other
    /// hosts, so that a relay may receive only those. System topics (<c>sys.</c> prefix) are always needed and never listed. By
    /// default nothing happens: the relay receives every frame, and the bus drops what nobody here subscribed to.
    /// </summary>
    /// <param name="topics">The exact topics, full (application prefix included); the relay may keep the collection.</param>
    /// <param name="patterns">The patterns, in which each <c>*</c> matches any run of characters, dots included; the relay may keep the collection.</param>
    /// <returns>A task that completes once the relay receives what was asked (or cannot now, and will once it can); a subscription waits for it.</returns>
    protected internal virtual Task OnSubscriptionsChangedAsync(IReadOnlyCollection<string> topics, IReadOnlyCollection<string> patterns) => Task.CompletedTask;

    /// <summary>Runs the relay until <paramref name="stopping"/> fires: connects, receives, reconnects.</summary>
    /// <param name="stopping">Fires when the bus stops.</param>
    /// <returns>A task that completes when the relay has stopped.</returns>
    protected internal abstract Task RunAsync(CancellationToken stopping);

    /// <summary>Hands a frame from another host to this host's bus, which delivers it (or drops it: its own, or not valid).</summary>
    /// <param name="frame">The frame as <see cref="Send(ReadOnlyMemory{byte})"/> was given it on the other host. The bus keeps it (payloads are read in place): the relay must not change or reuse its memory afterwards.</param>
    protected void Receive(ReadOnlyMemory<byte> frame) => Volatile.Read(ref _receive)?.Invoke(frame, null);

    /// <summary>
    /// Hands a frame that arrived under <paramref name="topic"/> (a transport's channel per topic) to this host's bus. A frame whose
    /// own topic differs is dropped and counted: whoever may send on one channel must not reach another topic's subscribers.
    /// </summary>
    /// <param name="frame">As for <see cref="Receive(ReadOnlyMemory{byte})"/>.</param>
    /// <param name="topic">The full topic the transport delivered it under.</param>
    protected void Receive(ReadOnlyMemory<byte> frame, string topic)
    {
        ArgumentNullException.ThrowIfNull(topic);
        Volatile.Read(ref _receive)?.Invoke(frame, topic);
    }

    internal void Attach(Action<ReadOnlyMemory<byte>, string?> receive) => Volatile.Write(ref _receive, receive);
}
