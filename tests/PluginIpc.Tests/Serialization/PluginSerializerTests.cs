using System.Buffers;
using System.Text;
using MessagePack;

namespace PluginIpc.Tests.Serialization;

/// <summary>The wire form of typed values, as docs/PROTOCOL.md specifies it for implementations in other languages.</summary>
public sealed class PluginSerializerTests
{
    [Test]
    public void MessagePack_PlainRecord_IsAMapOfItsPublicPropertiesByName()
    {
        byte[] bytes = Serialize(new MessagePackPluginSerializer(), new Point(1, 2));

        Assert.That(Convert.ToHexString(bytes), Is.EqualTo("82A15801A15902"), "{\"X\": 1, \"Y\": 2} as a msgpack map");
        Assert.That(MessagePackSerializer.ConvertToJson(bytes), Is.EqualTo("{\"X\":1,\"Y\":2}"));
    }

    [Test]
    public void MessagePack_TypeWithIntegerKeys_IsAnArray()
    {
        byte[] bytes = Serialize(new MessagePackPluginSerializer(), new Keyed { Id = 7, Label = "a" });

        Assert.That(Convert.ToHexString(bytes), Is.EqualTo("9207A161"), "[7, \"a\"]");
    }

    [Test]
    public void Json_ByDefault_IsCamelCaseUtf8()
    {
        byte[] bytes = Serialize(new JsonPluginSerializer(), new Point(1, 2));

        Assert.That(Encoding.UTF8.GetString(bytes), Is.EqualTo("{\"x\":1,\"y\":2}"));
        Assert.That(new JsonPluginSerializer().Deserialize<Point>(bytes), Is.EqualTo(new Point(1, 2)));
    }

    [Test]
    public void Json_WithAContext_ReadsAndWritesWithoutReflection()
    {
        var serializer = new JsonPluginSerializer(TypedTestJsonContext.Default);

        byte[] bytes = Serialize(serializer, new Route { Name = "r", Stops = [new(1, 2)] });

        Assert.That(Encoding.UTF8.GetString(bytes), Is.EqualTo("{\"name\":\"r\",\"stops\":[{\"x\":1,\"y\":2}]}"));
        Assert.That(serializer.Deserialize<Route>(bytes).Stops, Is.EqualTo(new[] { new Point(1, 2) }));
    }

    [Test]
    public void MessagePack_UntrustedData_RefusesDeepNesting()
    {
        // 600 nested one-element arrays: deeper than MessagePackSecurity.UntrustedData allows (500).
        byte[] nested = [.. Enumerable.Repeat((byte)0x91, 600), 0x01];

        Assert.That(() => new MessagePackPluginSerializer().Deserialize<object>(nested), Throws.InstanceOf<MessagePackSerializationException>());
    }

    private static byte[] Serialize<T>(IPluginSerializer serializer, T value)
    {
        var writer = new ArrayBufferWriter<byte>();
        serializer.Serialize(writer, value);
        return writer.WrittenSpan.ToArray();
    }
}
