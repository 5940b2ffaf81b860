namespace PluginIpc;

/// <summary>One published message (or request) on its way to subscribers; shared by all of them, with its wire forms made once.</summary>
internal sealed class BusEnvelope
{
    private byte[]? _msgpack;
    private byte[]? _json;

    public BusEnvelope(string topic, string origin, long sequence, string? publisher, ReadOnlyMemory<byte> payload, BusReplySlot? reply = null)
    {
        Topic = topic;
        Origin = origin;
        Sequence = sequence;
        Publisher = publisher;
        Payload = payload;
        Reply = reply;
    }

    public string Topic { get; }

    /// <summary>Gets the origin host's id; empty for this host.</summary>
    public string Origin { get; }

    public long Sequence { get; }

    public string? Publisher { get; }

    public ReadOnlyMemory<byte> Payload { get; }

    public BusReplySlot? Reply { get; }

    /// <summary>Returns the <c>bus.message</c> buffer in <paramref name="serializer"/>'s format, made once per format (a race makes it twice, harmlessly).</summary>
    public ReadOnlyMemory<byte> Encoded(IPluginSerializer serializer)
    {
        switch (serializer.Name)
        {
            case MessagePackPluginSerializer.FormatName:
                return _msgpack ??= BusWire.Message(serializer, this);
            case JsonPluginSerializer.FormatName:
                return _json ??= BusWire.Message(serializer, this);
            default:
                return BusWire.Message(serializer, this);
        }
    }

    /// <summary>Returns this envelope for another subscriber's request, with its own reply slot.</summary>
    public BusEnvelope WithReply(BusReplySlot reply) => new(Topic, Origin, Sequence, Publisher, Payload, reply);
}
