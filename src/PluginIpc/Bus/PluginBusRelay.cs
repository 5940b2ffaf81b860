namespace PluginIpc;

/// <summary>
/// Carries a host's bus messages to other hosts and theirs to it, as a companion package does (PluginIpc.Redis). Register
/// one as a singleton <see cref="PluginBusRelay"/>; the host's <see cref="IPluginBus"/> finds it, runs it, and hands it every
/// message published on this host. Messages are opaque frames here: the bus encodes and checks them (docs/PROTOCOL.md, section 9).
/// </summary>
public abstract class PluginBusRelay
{
    private Action<ReadOnlyMemory<byte>>? _receive;

    /// <summary>
    /// Sends a frame to every other host. Called in publish order, under the bus's publish lock: it must not block, and must not
    /// call <see cref="Receive"/> (of any relay) on this thread, since that takes a bus's lock too.
    /// </summary>
    /// <param name="frame">The message; the relay may keep it.</param>
    /// <exception cref="PluginIpcException">The relay cannot take the frame (its policy during an outage is to fail); the publish fails with it.</exception>
    protected internal abstract void Send(ReadOnlyMemory<byte> frame);

    /// <summary>Runs the relay until <paramref name="stopping"/> fires: connects, receives, reconnects.</summary>
    /// <param name="stopping">Fires when the bus stops.</param>
    /// <returns>A task that completes when the relay has stopped.</returns>
    protected internal abstract Task RunAsync(CancellationToken stopping);

    /// <summary>Hands a frame from another host to this host's bus, which delivers it (or drops it: its own, or not valid).</summary>
    /// <param name="frame">The frame as <see cref="Send"/> was given it on the other host.</param>
    protected void Receive(ReadOnlyMemory<byte> frame) => Volatile.Read(ref _receive)?.Invoke(frame);

    internal void Attach(Action<ReadOnlyMemory<byte>> receive) => Volatile.Write(ref _receive, receive);
}
