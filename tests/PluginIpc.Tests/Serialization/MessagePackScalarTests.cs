using System.Buffers;
using MessagePack;

namespace PluginIpc.Tests.Serialization;

/// <summary>
/// The integers and byte strings the msgpack serializer reads and writes itself, without MessagePack-CSharp's reader and
/// writer: the bytes and values must be exactly MessagePack-CSharp's, and what it refuses must still be refused.
/// </summary>
public sealed class MessagePackScalarTests
{
    private static readonly MessagePackSerializerOptions s_standard = MessagePackSerializerOptions.Standard;

    [TestCase(-1)]
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(255)]
    [TestCase(256)]
    [TestCase(65535)]
    [TestCase(65536)]
    [TestCase(70_000)]
    public void Serialize_ByteArray_IsWhatMessagePackCSharpWrites(int length)
    {
        byte[]? value = length < 0 ? null : Enumerable.Range(0, length).Select(i => (byte)i).ToArray();

        byte[] ours = Serialize(new MessagePackPluginSerializer(), value);

        Assert.That(ours, Is.EqualTo(MessagePackSerializer.Serialize(value, s_standard)));
        Assert.That(new MessagePackPluginSerializer().Deserialize<byte[]?>(ours), Is.EqualTo(value));
    }

    [TestCase(0)]
    [TestCase(64)]
    [TestCase(256)]
    [TestCase(65536)]
    [TestCase(70_000)]
    public void Serialize_ReadOnlyMemory_IsWhatMessagePackCSharpWrites(int length)
    {
        // A slice of a larger array: only the slice's bytes go out.
        byte[] backing = Enumerable.Range(0, length + 3).Select(i => (byte)(i * 7)).ToArray();
        ReadOnlyMemory<byte> value = backing.AsMemory(3, length);

        byte[] ours = Serialize(new MessagePackPluginSerializer(), value);

        Assert.That(ours, Is.EqualTo(MessagePackSerializer.Serialize(value, s_standard)));
        Assert.That(new MessagePackPluginSerializer().Deserialize<ReadOnlyMemory<byte>>(ours).ToArray(), Is.EqualTo(value.ToArray()));
    }

    [TestCase("05")] // positive fixint
    [TestCase("FB")] // negative fixint
    [TestCase("CCF0")]
    [TestCase("CDF000")]
    [TestCase("CE7FFFFFFF")]
    [TestCase("CF000000007FFFFFFF")]
    [TestCase("D080")]
    [TestCase("D18000")]
    [TestCase("D280000000")]
    [TestCase("D3FFFFFFFF80000000")]
    [TestCase("0501")] // a value with bytes after it: read as MessagePack-CSharp reads it
    public void Deserialize_IntInAnyForm_IsWhatMessagePackCSharpReads(string hex)
    {
        byte[] bytes = Convert.FromHexString(hex);

        Assert.That(new MessagePackPluginSerializer().Deserialize<int>(bytes), Is.EqualTo(MessagePackSerializer.Deserialize<int>(bytes, s_standard)));
        Assert.That(new MessagePackPluginSerializer().Deserialize<long>(bytes), Is.EqualTo(MessagePackSerializer.Deserialize<long>(bytes, s_standard)));
    }

    [TestCase("CF7FFFFFFFFFFFFFFF")]
    [TestCase("D38000000000000000")]
    public void Deserialize_LongInAnyForm_IsWhatMessagePackCSharpReads(string hex)
    {
        byte[] bytes = Convert.FromHexString(hex);

        Assert.That(new MessagePackPluginSerializer().Deserialize<long>(bytes), Is.EqualTo(MessagePackSerializer.Deserialize<long>(bytes, s_standard)));
    }

    [TestCase("CE80000000", TestName = "Deserialize_Int_UInt32PastIntMax_IsRefused")]
    [TestCase("D3FFFFFFFF7FFFFFFF", TestName = "Deserialize_Int_Int64BelowIntMin_IsRefused")]
    [TestCase("CD00", TestName = "Deserialize_Int_CutShort_IsRefused")]
    [TestCase("A131", TestName = "Deserialize_Int_String_IsRefused")]
    [TestCase("", TestName = "Deserialize_Int_Nothing_IsRefused")]
    public void Deserialize_IntThatIsNotOne_IsRefusedAsMessagePackCSharpRefusesIt(string hex)
    {
        byte[] bytes = Convert.FromHexString(hex);

        Assert.That(() => MessagePackSerializer.Deserialize<int>(bytes, s_standard), Throws.Exception, "the reference refuses it too");
        Assert.That(() => new MessagePackPluginSerializer().Deserialize<int>(bytes), Throws.InstanceOf<MessagePackSerializationException>());
    }

    [Test]
    public void Deserialize_Long_UInt64PastLongMax_IsRefused()
    {
        byte[] bytes = Convert.FromHexString("CF8000000000000000");

        Assert.That(() => new MessagePackPluginSerializer().Deserialize<long>(bytes), Throws.InstanceOf<MessagePackSerializationException>());
    }

    [TestCase("C0")]
    [TestCase("C400")]
    [TestCase("C403010203")]
    [TestCase("C50003010203")]
    [TestCase("C600000003010203")]
    [TestCase("A3010203")] // a raw string: MessagePack-CSharp's reader takes it as bytes too
    public void Deserialize_ByteString_IsWhatMessagePackCSharpReads(string hex)
    {
        byte[] bytes = Convert.FromHexString(hex);

        Assert.That(new MessagePackPluginSerializer().Deserialize<byte[]?>(bytes), Is.EqualTo(MessagePackSerializer.Deserialize<byte[]?>(bytes, s_standard)));
        Assert.That(
            new MessagePackPluginSerializer().Deserialize<ReadOnlyMemory<byte>>(bytes).ToArray(),
            Is.EqualTo(MessagePackSerializer.Deserialize<ReadOnlyMemory<byte>>(bytes, s_standard).ToArray()));
    }

    [TestCase("C4040102", TestName = "Deserialize_ByteString_Bin8CutShort_IsRefused")]
    [TestCase("C5000401", TestName = "Deserialize_ByteString_Bin16CutShort_IsRefused")]
    [TestCase("C6FFFFFFFF01", TestName = "Deserialize_ByteString_Bin32ClaimingFourGigabytes_IsRefused")]
    [TestCase("05", TestName = "Deserialize_ByteString_Integer_IsRefused")]
    public void Deserialize_ByteStringThatIsNotOne_IsRefused(string hex)
    {
        byte[] bytes = Convert.FromHexString(hex);

        Assert.That(() => new MessagePackPluginSerializer().Deserialize<byte[]>(bytes), Throws.InstanceOf<MessagePackSerializationException>());
        Assert.That(() => new MessagePackPluginSerializer().Deserialize<ReadOnlyMemory<byte>>(bytes), Throws.InstanceOf<MessagePackSerializationException>());
    }

    [Test]
    public void Serialize_ByteArray_OldSpec_IsStillARawString()
    {
        var options = MessagePackSerializerOptions.Standard.WithOldSpec();
        byte[] value = [1, 2, 3];

        byte[] ours = Serialize(new MessagePackPluginSerializer(options), value);

        Assert.That(ours, Is.EqualTo(MessagePackSerializer.Serialize(value, options)));
        Assert.That(ours[0], Is.EqualTo(0xA3), "the old spec has no bin type");
    }

    private static byte[] Serialize<T>(MessagePackPluginSerializer serializer, T value)
    {
        var writer = new ArrayBufferWriter<byte>();
        serializer.Serialize(writer, value);
        return writer.WrittenSpan.ToArray();
    }
}
