namespace PluginIpc;

/// <summary>Handles one message of a subscription of an <see cref="IPluginBus"/>.</summary>
/// <param name="message">The message; valid after the handler returns.</param>
/// <param name="cancellationToken">Fires when the subscription ends or the bus stops.</param>
/// <returns>A task that completes when the message is handled; the subscription's next message waits for it.</returns>
public delegate ValueTask BusHandler(BusMessage message, CancellationToken cancellationToken);
