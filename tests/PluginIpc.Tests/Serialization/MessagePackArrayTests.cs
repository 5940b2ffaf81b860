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

    [Test]
    public void ReadArray_EveryKindOfValue_IsSplitWhereMessagePackCSharpSplitsIt()
    {
        byte[] buffer = EveryKindOfValue(out Range[] expected);
        var items = new Range[expected.Length];

        int count = new MessagePackPluginSerializer().ReadArray(buffer, items);

        Assert.That(items.Take(count), Is.EqualTo(expected));
    }

    [Test]
    public void ReadArray_EveryKindOfValueCutShortAnywhere_ThrowsFormatException()
    {
        byte[] buffer = EveryKindOfValue(out _);
        var serializer = new MessagePackPluginSerializer();

        for (int length = 0; length < buffer.Length; length++)
        {
            Assert.That(() => serializer.ReadArray(buffer.AsMemory(0, length), new Range[64]), Throws.InstanceOf<FormatException>(), $"cut at {length} of {buffer.Length}");
        }
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

    /// <summary>Writes one value.</summary>
    private delegate void WriteValue(ref MessagePackWriter writer);

    /// <summary>Writes an array of values of every MessagePack form, and where MessagePack-CSharp's reader finds each.</summary>
    private static byte[] EveryKindOfValue(out Range[] ranges)
    {
        var output = new ArrayBufferWriter<byte>();
        var writer = new MessagePackWriter(output);
        var values = new List<WriteValue>();
        void Add(WriteValue write) => values.Add(write);
        foreach (long number in new long[] { 0, 127, -32, -33, 200, -100, 60_000, -30_000, 4_000_000_000, -2_000_000_000, long.MaxValue, long.MinValue })
        {
            Add((ref MessagePackWriter w) => w.Write(number));
        }

        Add((ref MessagePackWriter w) => w.Write(ulong.MaxValue));
        Add((ref MessagePackWriter w) => w.WriteNil());
        Add((ref MessagePackWriter w) => w.Write(true));
        Add((ref MessagePackWriter w) => w.Write(false));
        Add((ref MessagePackWriter w) => w.Write(1.5f));
        Add((ref MessagePackWriter w) => w.Write(2.5d));
        foreach (int length in new[] { 0, 31, 32, 255, 256, 65536 })
        {
            string text = new('x', length);
            byte[] bytes = new byte[length];
            Add((ref MessagePackWriter w) => w.Write(text));
            Add((ref MessagePackWriter w) => w.Write(bytes));
        }

        foreach (int length in new[] { 1, 2, 4, 8, 16, 3, 300, 70_000 })
        {
            byte[] data = new byte[length];
            Add((ref MessagePackWriter w) =>
            {
                w.WriteExtensionFormatHeader(new ExtensionHeader(5, (uint)length));
                w.WriteRaw(data);
            });
        }

        Add((ref MessagePackWriter w) =>
        {
            w.WriteMapHeader(2);
            w.Write("X");
            w.Write(1);
            w.Write("Y");
            w.WriteArrayHeader(3);
            w.Write(1);
            w.WriteMapHeader(0);
            w.WriteArrayHeader(0);
        });
        Add((ref MessagePackWriter w) =>
        {
            w.WriteArrayHeader(20); // array 16
            for (int i = 0; i < 20; i++)
            {
                w.WriteMapHeader(17); // map 16
                for (int j = 0; j < 17; j++)
                {
                    w.Write(j);
                    w.Write("v");
                }
            }
        });

        writer.WriteArrayHeader(values.Count);
        writer.Flush();
        ranges = new Range[values.Count];
        for (int i = 0; i < values.Count; i++)
        {
            int start = output.WrittenCount;
            var item = new MessagePackWriter(output);
            values[i](ref item);
            item.Flush();
            ranges[i] = start..output.WrittenCount;
        }

        // The reference: MessagePack-CSharp's reader skips each value to the same place.
        var reader = new MessagePackReader(output.WrittenMemory);
        Assert.That(reader.ReadArrayHeader(), Is.EqualTo(values.Count));
        foreach (Range range in ranges)
        {
            Assert.That((int)reader.Consumed, Is.EqualTo(range.Start.Value));
            reader.Skip();
            Assert.That((int)reader.Consumed, Is.EqualTo(range.End.Value));
        }

        return output.WrittenSpan.ToArray();
    }
}
