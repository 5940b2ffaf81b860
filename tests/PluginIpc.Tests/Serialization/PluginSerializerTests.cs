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
    public void OtherDotNetTypes_AreWrittenAsTheDocumentsTableHasThem()
    {
        // docs/PROTOCOL.md, section 7, "Other .NET types": what an implementation in another language must read and write.
        Assert.Multiple(() =>
        {
            AssertForms(Shade.Blue, "02", "2");
            AssertForms(1L << 40, "CF0000010000000000", "1099511627776");
            AssertForms(1.5f, "CA3FC00000", "1.5");
            AssertForms(1.5, "CB3FF8000000000000", "1.5");
            AssertForms(1.5m, "A3312E35", "1.5");
            AssertForms('a', "61", "\"a\"");
            AssertForms(new byte[] { 0x68, 0x69 }, "C4026869", "\"aGk=\"");
            AssertForms(Guid.Parse("01234567-89ab-cdef-0123-456789abcdef"), "D924" + Convert.ToHexString("01234567-89ab-cdef-0123-456789abcdef"u8), "\"01234567-89ab-cdef-0123-456789abcdef\"");
            AssertForms(new DateTime(2026, 12, 7, 10, 0, 0, DateTimeKind.Utc), "D6FF6B1683A0", "\"2026-12-07T10:00:00Z\"");
            AssertForms(new DateTimeOffset(2026, 12, 7, 10, 0, 0, TimeSpan.FromHours(1)), "92D6FF6B1683A03C", "\"2026-12-07T10:00:00\u002B01:00\"");
            AssertForms(new int?[] { 1, null }, "9201C0", "[1,null]");
            AssertForms(new Dictionary<string, int> { ["a"] = 1 }, "81A16101", "{\"a\":1}");
            AssertForms((1, "a"), "9201A161", "{}"); // the json format loses a tuple's items: the table says so
        });
    }

    private static void AssertForms<T>(T value, string messagePackHex, string json)
    {
        Assert.That(Convert.ToHexString(Serialize(new MessagePackPluginSerializer(), value)), Is.EqualTo(messagePackHex), $"{typeof(T).Name} in msgpack");
        Assert.That(Encoding.UTF8.GetString(Serialize(new JsonPluginSerializer(), value)), Is.EqualTo(json), $"{typeof(T).Name} in json");
    }

    private enum Shade
    {
        Red,
        Green,
        Blue,
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
