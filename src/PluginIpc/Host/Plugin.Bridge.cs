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

    /// <summary>How many chars the waiting messages may hold (32 MiB of text) before the oldest are dropped; the newest always stays.</summary>
    internal const long BridgeCharCapacity = 16L * 1024 * 1024;

    private Channel<string>? _bridgeMessages;
    private long _bridgeDropped;
    private long _bridgeChars;

    /// <summary>Gets how many chars wait in the bridge's queue (for tests).</summary>
    internal long BridgeCharsWaiting => Interlocked.Read(ref _bridgeChars);

    // Created on first use: the callback that counts a dropped message needs this instance.
    private Channel<string> BridgeMessages => LazyInitializer.EnsureInitialized(ref _bridgeMessages, () => System.Threading.Channels.Channel.CreateBounded<string>(
        new BoundedChannelOptions(BridgeCapacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleWriter = true },
        OnBridgeMessageDropped));

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
    /// <returns>The messages. Up to 1024 and 16 Mi chars of them wait for a reader; past that the oldest are dropped (and logged). Invalid UTF-8 is read with replacement characters.</returns>
    public async IAsyncEnumerable<string> ReadBridgeAsync([EnumeratorCancellation] CancellationToken cancellationToken = default)
    {
        ChannelReader<string> reader = BridgeMessages.Reader;
        while (await reader.WaitToReadAsync(cancellationToken).ConfigureAwait(false))
        {
            while (reader.TryRead(out string? text))
            {
                Interlocked.Add(ref _bridgeChars, -text.Length);
                yield return text;
            }
        }
    }

    private ValueTask<ReadOnlyMemory<byte>> OnBridgeMessage(Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken)
    {
        // Reserved as a one-way message: a request for it is answered empty, and nothing else is done.
        if (chunk.Direction == Direction.OneWay)
        {
            ReceiveBridgeMessage(chunk.Buffer.Span);
        }

        return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
    }

    /// <summary>Queues one message from the plugin's bridge, dropping the oldest past <see cref="BridgeCapacity"/> messages or <see cref="BridgeCharCapacity"/> chars.</summary>
    internal void ReceiveBridgeMessage(ReadOnlySpan<byte> utf8)
    {
        string text = Encoding.UTF8.GetString(utf8);
        Channel<string> messages = BridgeMessages;
        Interlocked.Add(ref _bridgeChars, text.Length);
        messages.Writer.TryWrite(text); // past BridgeCapacity the channel drops the oldest (OnBridgeMessageDropped)
        while (Interlocked.Read(ref _bridgeChars) > BridgeCharCapacity && messages.Reader.Count > 1 && messages.Reader.TryRead(out string? oldest))
        {
            OnBridgeMessageDropped(oldest);
        }
    }

    private void OnBridgeMessageDropped(string dropped)
    {
        Interlocked.Add(ref _bridgeChars, -dropped.Length);
        PluginLog.BridgeMessageDropped(_logger, Name, BridgeCapacity, Interlocked.Increment(ref _bridgeDropped));
    }
}
