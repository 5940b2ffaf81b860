using System.Text;

namespace PluginIpc.Tests.Bus;

/// <summary>The bus commands' buffers are exactly the examples of docs/PROTOCOL.md, section 9, in both formats.</summary>
public sealed class BusWireTests
{
    private static readonly IPluginSerializer s_msgpack = new MessagePackPluginSerializer();
    private static readonly IPluginSerializer s_json = new JsonPluginSerializer(BusWireJsonContext.Default);

    [Test]
    public void Publish_MatchesTheDocumentedBytes()
    {
        Assert.That(Convert.ToHexString(BusWire.Publish(s_msgpack, "news", "hi"u8.ToArray())), Is.EqualTo("92A46E657773C4026869"));
        Assert.That(Encoding.UTF8.GetString(BusWire.Publish(s_json, "news", "hi"u8.ToArray())), Is.EqualTo("""["news","aGk="]"""));
    }

    [Test]
    public void Message_MatchesTheDocumentedBytes_AndReadsBack()
    {
        var envelope = new BusEnvelope("news", "", 1, "a", "hi"u8.ToArray());

        byte[] msgpack = BusWire.Message(s_msgpack, envelope);
        byte[] json = BusWire.Message(s_json, envelope);

        Assert.That(Convert.ToHexString(msgpack), Is.EqualTo("95A46E657773A001A161C4026869"));
        Assert.That(Encoding.UTF8.GetString(json), Is.EqualTo("""["news","",1,"a","aGk="]"""));
        foreach ((IPluginSerializer serializer, byte[] buffer) in new[] { (s_msgpack, msgpack), (s_json, json) })
        {
            BusEnvelope read = BusWire.ReadMessage(serializer, new Chunk { Cmd = Commands.BusMessage, Buffer = buffer });
            Assert.That((read.Topic, read.Origin, read.Sequence, read.Publisher, Encoding.UTF8.GetString(read.Payload.Span)), Is.EqualTo(("news", "", 1L, "a", "hi")));
        }
    }

    [Test]
    public void ABufferThatIsNotTheCommandsShape_IsAnInvalidRequestNamingIt()
    {
        RemoteException? wrong = Assert.Throws<RemoteException>(() => BusWire.ReadPublish(s_msgpack, new Chunk { Cmd = Commands.BusPublish, Buffer = new byte[] { 0x91, 0x01 } }));
        Assert.That(wrong!.Code, Is.EqualTo(ErrorCodes.InvalidRequest));
        Assert.That(wrong.Message, Does.StartWith("'bus.publish' takes [topic, payload] in the msgpack format; the 2 bytes sent are not that"));
        RemoteException? notJson = Assert.Throws<RemoteException>(() => BusWire.ReadMessage(s_json, new Chunk { Cmd = Commands.BusMessage, Buffer = "[\"t\",\"\",1]"u8.ToArray() }));
        Assert.That(notJson!.Code, Is.EqualTo(ErrorCodes.InvalidRequest));
    }
    [Test]
    public void ARelayFrameOfALongApplicationTopic_ReadsBack()
    {
        // A :topic of the longest length gains its application id on the way: other hosts must take it, not drop it.
        string full = BusTopics.Expand(":" + new string('x', BusTopics.MaxLength - 1), "shop");
        Assert.That(BusTopics.Problem(":" + new string('x', BusTopics.MaxLength - 1), pattern: false), Is.Null);
        byte[] frame = BusWire.Relay(BusWire.RelayPrefix(new string('a', 32)), full, 1, null, new byte[] { 1 });

        BusEnvelope envelope = BusWire.ReadRelay(frame);

        Assert.That(envelope.Topic, Is.EqualTo(full));
        Assert.That(Assert.Throws<FormatException>(() => BusWire.ReadRelay(BusWire.Relay(BusWire.RelayPrefix(new string('a', 32)), new string('y', BusTopics.MaxExpandedLength + 1), 1, null, new byte[] { 1 })))!.Message, Does.Contain("longer than 512"));
    }
}
