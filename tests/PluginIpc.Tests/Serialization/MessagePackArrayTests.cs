using System.Buffers;
using MessagePack;

namespace PluginIpc.Tests.Serialization;

/// <summary>The arrays and integers that contracts write and split themselves, checked against MessagePack-CSharp's own encoding.</summary>
public sealed class MessagePackArrayTests
{
    [TestCase(0), TestCase(1), TestCase(127), TestCase(128), TestCase(255), TestCase(256), TestCase(65535), TestCase(65536), TestCase(int.MaxValue)]
    [TestCase(-1), TestCase(-32), TestCase(-33), TestCase(-128), TestCase(-129), TestCase(-32768), TestCase(-32769), TestCase(int.MinValue)]
    public void Int_IsWrittenAsMessagePackCSharpWritesIt(int value)
    {
        var serializer = new MessagePackPluginSerializer();
        var buffer = new ArrayBufferWriter<byte>();

        serializer.Serialize(buffer, value);

        Assert.That(Convert.ToHexString(buffer.WrittenSpan), Is.EqualTo(Convert.ToHexString(MessagePackSerializer.Serialize(value))));
        Assert.That(serializer.Deserialize<int>(buffer.WrittenMemory), Is.EqualTo(value));
    }

    [TestCase(0), TestCase(15), TestCase(16), TestCase(65535), TestCase(65536)]
    public void ArrayHeader_IsWrittenAsMessagePackCSharpWritesIt(int length)
    {
        var buffer = new ArrayBufferWriter<byte>();
        var expected = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(expected);
        writer.WriteArrayHeader(length);
        writer.Flush();

        new MessagePackPluginSerializer().WriteArrayStart(buffer, length);

        Assert.That(Convert.ToHexString(buffer.WrittenSpan), Is.EqualTo(Convert.ToHexString(expected.WrittenSpan)));
    }

    [Test]
    public void ReadArray_DeeplyNestedValue_IsSkippedWithoutRecursion()
    {
        // [[[[...]]]] 100,000 levels deep: a recursive skip would overflow the stack and kill the process.
        byte[] nested = new byte[100_001];
        nested[0] = 0x91;
        nested.AsSpan(1, 99_999).Fill(0x91);
        nested[^1] = 0x90;
        Span<Range> items = stackalloc Range[1];

        int count = new MessagePackPluginSerializer().ReadArray(nested, items);

        Assert.That((count, items[0]), Is.EqualTo((1, new Range(1, nested.Length))));
    }

    [TestCase("92 01")]
    [TestCase("93 01 02 03 04")]
    [TestCase("A3 61 62 63")]
    [TestCase("DD FF FF FF FF")]
    public void ReadArray_CutShortOrNotAnArrayOrWithBytesAfter_ThrowsFormatException(string hex)
    {
        byte[] buffer = Convert.FromHexString(hex.Replace(" ", string.Empty, StringComparison.Ordinal));

        Assert.That(() => new MessagePackPluginSerializer().ReadArray(buffer, new Range[8]), Throws.InstanceOf<FormatException>());
    }

    [TestCase("[1,2")]
    [TestCase("[1,2,3]  x")]
    [TestCase("{\"a\":1}")]
    [TestCase("[1,2,3,4,5,6,7,8,9]")]
    public void JsonReadArray_CutShortOrNotAnArrayOrTooLong_ThrowsFormatException(string json)
    {
        Assert.That(() => new JsonPluginSerializer().ReadArray(System.Text.Encoding.UTF8.GetBytes(json), new Range[8]), Throws.InstanceOf<FormatException>());
    }
}
