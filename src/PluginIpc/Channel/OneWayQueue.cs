using System.Threading.Channels;

namespace PluginIpc;

/// <summary>Hands one-way messages to their handlers one at a time, in the order they arrived.</summary>
internal sealed class OneWayQueue
{
    private readonly Channel _channel;
    private readonly Channel<IncomingRequest> _queue = System.Threading.Channels.Channel.CreateUnbounded<IncomingRequest>(
        new UnboundedChannelOptions { SingleReader = true, SingleWriter = true });

    public OneWayQueue(Channel channel) => _channel = channel;

    public void Start() => RunAsync().Forget();

    public void Enqueue(IncomingRequest message)
    {
        if (!_queue.Writer.TryWrite(message))
        {
            // Completed: the channel is closing. Run it anyway so the handler count stays balanced; its token is cancelled.
            _channel.RunHandlerAsync(message).Forget(); // never faults
        }
    }

    public void Complete() => _queue.Writer.TryComplete();

    private async Task RunAsync()
    {
        ChannelReader<IncomingRequest> reader = _queue.Reader;
        while (await reader.WaitToReadAsync().ConfigureAwait(false))
        {
            while (reader.TryRead(out IncomingRequest? message))
            {
                await _channel.RunHandlerAsync(message).ConfigureAwait(false);
            }
        }
    }
}
