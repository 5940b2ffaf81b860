using System.Text;

namespace PluginIpc;

/// <summary>A message of an <see cref="IPluginBus"/>, as one subscriber receives it, or a reply to a request.</summary>
/// <remarks>Thread safe. Its payload belongs to it: keep the message as long as needed.</remarks>
public sealed class BusMessage
{
    private readonly IPluginSerializer _serializer;
    private readonly BusReplySlot? _reply;

    internal BusMessage(BusEnvelope envelope, long missed, IPluginSerializer serializer)
    {
        Topic = envelope.Topic;
        Payload = envelope.Payload;
        Publisher = envelope.Publisher;
        Origin = envelope.Origin;
        Sequence = envelope.Sequence;
        Missed = missed;
        _reply = envelope.Reply;
        _serializer = serializer;
    }

    /// <summary>Gets the topic it was published to, with the application's prefix when it was given as <c>:topic</c>.</summary>
    public string Topic { get; }

    /// <summary>Gets the payload.</summary>
    public ReadOnlyMemory<byte> Payload { get; }

    /// <summary>Gets the payload decoded as UTF-8 text (invalid bytes become U+FFFD).</summary>
    public string Text => Encoding.UTF8.GetString(Payload.Span);

    /// <summary>Gets the name of the plugin that published it (or replied), or <see langword="null"/> when code in a host did.</summary>
    public string? Publisher { get; }

    /// <summary>Gets the id of the host where it was published, or an empty string for the receiver's own host.</summary>
    public string Origin { get; }

    /// <summary>Gets its number among the messages of its topic published on its origin host (1, 2, ...); 0 for requests and replies.</summary>
    public long Sequence { get; }

    /// <summary>
    /// Gets how many messages of this topic from the same origin this subscriber did not receive since the previous one it did
    /// (its queue was full, its plugin's queue at the host was, or a relay lost them); 0 when none were lost. For the first
    /// message of a topic it receives, it counts those its own queue dropped before it.
    /// </summary>
    public long Missed { get; }

    /// <summary>Gets a value indicating whether it is a request (<see cref="IPluginBus.RequestAsync"/>) that waits for a <see cref="Reply(ReadOnlyMemory{byte})"/>.</summary>
    public bool IsRequest => _reply is not null;

    /// <summary>Reads the payload as a <typeparamref name="T"/> in the bus's <see cref="IPluginBus.Serializer"/> format; a <see cref="string"/> as UTF-8 text, a <c>byte[]</c> as the bytes.</summary>
    /// <typeparam name="T">The type the publisher wrote.</typeparam>
    /// <returns>The value.</returns>
    /// <exception cref="ProtocolException">The payload is not a <typeparamref name="T"/> in that format.</exception>
    public T Read<T>()
    {
        try
        {
            return BusPayload.Decode<T>(_serializer, Payload);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            throw new ProtocolException($"The {Payload.Length} bytes of a message of topic '{Topic}' are not a {typeof(T).Name} in the {_serializer.Name} format: {ex.Message}", ex);
        }
    }

    /// <summary>Replies to this request; the requester receives <paramref name="payload"/>. A handler that returns without replying passes the request on.</summary>
    /// <param name="payload">The reply (copied).</param>
    /// <returns><see langword="true"/> if the reply was taken; <see langword="false"/> if the requester no longer waits (it timed out, or another subscriber replied first).</returns>
    /// <exception cref="InvalidOperationException">The message is not a request, or was replied to already.</exception>
    public bool Reply(ReadOnlyMemory<byte> payload)
    {
        if (_reply is null)
        {
            throw new InvalidOperationException($"The message of topic '{Topic}' is not a request; only requests can be replied to.");
        }

        return _reply.SetReply(payload.ToArray(), Topic);
    }

    /// <summary>Replies to this request with UTF-8 text.</summary>
    /// <param name="text">The reply.</param>
    /// <returns>See <see cref="Reply(ReadOnlyMemory{byte})"/>.</returns>
    /// <exception cref="InvalidOperationException">The message is not a request, or was replied to already.</exception>
    public bool Reply(string text)
    {
        ArgumentNullException.ThrowIfNull(text);
        return Reply(new ReadOnlyMemory<byte>(Encoding.UTF8.GetBytes(text)));
    }

    /// <summary>Gets the format of typed payloads of the bus that delivered it.</summary>
    internal IPluginSerializer Serializer => _serializer;

    /// <inheritdoc/>
    public override string ToString() => $"'{Topic}' #{Sequence} ({Payload.Length} bytes{(Publisher is null ? "" : $" from {Publisher}")})";
}
