using System.Runtime.CompilerServices;
using System.Text;
using System.Threading.Channels;

namespace PluginIpc;

/// <content>
/// The bridge (docs/PROTOCOL.md, section 13): text to and from the plugin's side of it, one <c>bridge.message</c> one-way
/// message each, such as a Node.js plugin's <c>bridge.send</c> and <c>bridge.on('message')</c>.
/// </content>
public sealed partial class Plugin
{
    /// <summary>How many messages from the plugin's bridge wait for <see cref="ReadBridgeAsync"/> before the oldest is dropped.</summary>
    internal const int BridgeCapacity = 1024;

    private readonly Channel<string> _bridgeMessages = System.Threading.Channels.Channel.CreateBounded<string>(
        new BoundedChannelOptions(BridgeCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true });

    private long _bridgeDropped;

    /// <summary>Sends <paramref name="text"/> to the plugin's bridge as one <c>bridge.message</c> one-way message.</summary>
    /// <param name="text">The text; sent as UTF-8.</param>
    /// <param name="cancellationToken">Cancels the send.</param>
    /// <returns>A task that completes when the message is written. While the plugin starts or restarts, it waits until it is ready, within <see cref="PluginOptions.CallTimeout"/>.</returns>
    /// <exception cref="ArgumentException"><paramref name="text"/> holds an unpaired surrogate, which UTF-8 cannot carry.</exception>
    public ValueTask SendToBridgeAsync(string text, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(text);
        byte[] utf8 = StrictUtf8.GetBytes(text, nameof(text));
        return ((IChunkCallShortcuts)this).NotifyAsync(Commands.BridgeMessage, utf8, cancellationToken);
    }

    /// <summary>
    /// Reads the texts the plugin sends to its bridge, in the order they arrive, across restarts, until
    /// <paramref name="cancellationToken"/> fires. Each message is read once: concurrent readers share them.
    /// </summary>
    /// <param name="cancellationToken">Ends the enumeration.</param>
    /// <returns>The messages. Up to 1024 wait for a reader; past that the oldest is dropped (and logged). Invalid UTF-8 is read with replacement characters.</returns>
    public async IAsyncEnumerable<string> ReadBridgeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChannelReader<string> reader = _bridgeMessages.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out string? text))
            {
                yield return text;
            }
        }
    }

    private ValueTask<ReadOnlyMemory<byte>> OnBridgeMessage(Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken)
    {
        // Reserved as a one-way message: a request for it is answered empty, and nothing else is done.
        if (chunk.Direction == Direction.OneWay)
        {
            if (_bridgeMessages.Reader.Count >= BridgeCapacity)
            {
                PluginLog.BridgeMessageDropped(_logger, Name, BridgeCapacity, Interlocked.Increment(ref _bridgeDropped));
            }

            _bridgeMessages.Writer.TryWrite(Encoding.UTF8.GetString(chunk.Buffer.Span));
        }

        return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
    }
}
