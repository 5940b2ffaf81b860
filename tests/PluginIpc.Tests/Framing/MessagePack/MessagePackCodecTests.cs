using System.Buffers;
using System.Text;
using PluginIpc.Tests.Framing;

namespace PluginIpc.Tests.Framing.MessagePack;

public sealed class MessagePackCodecTests
{
    private delegate bool ReadOperation(ref MessagePackReader reader);

    private static readonly (string Name, ReadOperation Read, Func<byte, bool> Accepts)[] s_operations =
    [
        ("uint", static (ref MessagePackReader r) => r.TryReadUInt64("value", out _), static c => c <= 0x7f || c is >= 0xcc and <= 0xd3),
        ("str", static (ref MessagePackReader r) => r.TryReadString("value", int.MaxValue - 100, out _), static c => c is >= 0xa0 and <= 0xbf or >= 0xd9 and <= 0xdb),
        ("bin", static (ref MessagePackReader r) => r.TryReadBinary("value", int.MaxValue - 100, out _), static c => c is >= 0xc4 and <= 0xc6),
        ("array", static (ref MessagePackReader r) => r.TryReadArrayHeader("value", out _), static c => c is >= 0x90 and <= 0x9f or 0xdc or 0xdd),
        ("map", static (ref MessagePackReader r) => r.TryReadMapHeader("value", out _), static c => c is >= 0x80 and <= 0x8f or 0xde or 0xdf),
    ];

    private static IEnumerable<TestCaseData> OperationCases() =>
        s_operations.Select((o, i) => new TestCaseData(i).SetArgDisplayNames(o.Name));

    // ---- unsigned integers ----

    [TestCase(0ul, "00")]
    [TestCase(127ul, "7F")]
    [TestCase(128ul, "CC80")]
    [TestCase(255ul, "CCFF")]
    [TestCase(256ul, "CD0100")]
    [TestCase(65535ul, "CDFFFF")]
    [TestCase(65536ul, "CE00010000")]
    [TestCase(4294967295ul, "CEFFFFFFFF")]
    [TestCase(4294967296ul, "CF0000000100000000")]
    [TestCase(ulong.MaxValue, "CFFFFFFFFFFFFFFFFF")]
    public void WriteUInt64_Boundary_WritesShortestEncodingThatReadsBack(ulong value, string hex)
    {
        var output = new ArrayBufferWriter<byte>();

        MessagePackWriter.WriteUInt64(output, value);

        Assert.That(Convert.ToHexString(output.WrittenSpan), Is.EqualTo(hex));
        AssertReadsUInt64(output.WrittenMemory.ToArray(), value);
    }

    [TestCase("CC00", 0ul)]
    [TestCase("CD0007", 7ul)]
    [TestCase("CE00000000", 0ul)]
    [TestCase("CF000000000000007F", 127ul)]
    [TestCase("D000", 0ul)]
    [TestCase("D07F", 127ul)]
    [TestCase("D17FFF", 32767ul)]
    [TestCase("D27FFFFFFF", 2147483647ul)]
    [TestCase("D37FFFFFFFFFFFFFFF", 9223372036854775807ul)]
    [TestCase("D30000000000000000", 0ul)]
    public void TryReadUInt64_OtherWidthsAndNonNegativeSignedInts_Reads(string hex, ulong expected)
    {
        AssertReadsUInt64(Convert.FromHexString(hex), expected);
    }

    [TestCase("E0", "0xe0 (negative fixint)")]
    [TestCase("FF", "0xff (negative fixint)")]
    [TestCase("D0FF", "0xd0 (int 8) with the negative value -1")]
    [TestCase("D18000", "0xd1 (int 16) with the negative value -32768")]
    [TestCase("D280000000", "0xd2 (int 32) with the negative value -2147483648")]
    [TestCase("D38000000000000000", "0xd3 (int 64) with the negative value -9223372036854775808")]
    [TestCase("CA3F800000", "0xca (float 32)")]
    [TestCase("CB3FF0000000000000", "0xcb (float 64)")]
    [TestCase("C0", "0xc0 (nil)")]
    [TestCase("C3", "0xc3 (true)")]
    [TestCase("A131", "0xa1 (fixstr)")]
    public void TryReadUInt64_NegativeOrWrongType_ThrowsNamingFieldOffsetAndType(string hex, string found)
    {
        byte[] bytes = [0x00, .. Convert.FromHexString(hex)];
        var input = new ReadOnlySequence<byte>(bytes);

        var exception = Assert.Throws<ProtocolException>(() =>
        {
            var reader = new MessagePackReader(input);
            reader.TryReadUInt64("first", out _);
            reader.TryReadUInt64("threadId", out _);
        });

        Assert.That(exception!.Message, Does.StartWith("msgpack framing: threadId at offset 1: expected uint, found " + found));
    }

    // ---- str ----

    [TestCase(0, "A0")]
    [TestCase(1, "A1")]
    [TestCase(31, "BF")]
    [TestCase(32, "D920")]
    [TestCase(255, "D9FF")]
    [TestCase(256, "DA0100")]
    [TestCase(65535, "DAFFFF")]
    [TestCase(65536, "DB00010000")]
    public void WriteString_LengthBoundary_WritesShortestHeaderThatReadsBack(int length, string headerHex)
    {
        string value = new('s', length);
        var output = new ArrayBufferWriter<byte>();

        MessagePackWriter.WriteString(output, value);

        byte[] written = output.WrittenSpan.ToArray();
        Assert.That(Convert.ToHexString(written, 0, headerHex.Length / 2), Is.EqualTo(headerHex));
        Assert.That(written, Has.Length.EqualTo((headerHex.Length / 2) + length));
        AssertReadsString(written, value);
    }

    [Test]
    public void WriteString_MultiByteCharacters_UsesUtf8LengthForHeader()
    {
        // 16 chars, 32 UTF-8 bytes: str 8, not fixstr.
        string value = new('é', 16);
        var output = new ArrayBufferWriter<byte>();

        MessagePackWriter.WriteString(output, value);

        Assert.That(Convert.ToHexString(output.WrittenSpan[..2]), Is.EqualTo("D920"));
        AssertReadsString(output.WrittenSpan.ToArray(), value);
    }

    [TestCase("D90461626364")]
    [TestCase("DA000461626364")]
    [TestCase("DB0000000461626364")]
    [TestCase("A461626364")]
    public void TryReadString_AnyWidth_ReadsBytes(string hex)
    {
        AssertReadsString(Convert.FromHexString(hex), "abcd");
    }

    [Test]
    public void WriteString_IntoTinySpans_WritesSameBytesInPieces()
    {
        string value = string.Concat(Enumerable.Repeat("aé命🙂", 50));
        var whole = new ArrayBufferWriter<byte>();
        var pieces = new TinySpanWriter();

        MessagePackWriter.WriteString(whole, value);
        MessagePackWriter.WriteString(pieces, value);

        Assert.That(pieces.ToArray(), Is.EqualTo(whole.WrittenSpan.ToArray()));
        Assert.That(Encoding.UTF8.GetString(whole.WrittenSpan[3..]), Is.EqualTo(value));
    }

    // ---- bin ----

    [TestCase(0, "C400")]
    [TestCase(1, "C401")]
    [TestCase(255, "C4FF")]
    [TestCase(256, "C50100")]
    [TestCase(65535, "C5FFFF")]
    [TestCase(65536, "C600010000")]
    public void WriteBinary_LengthBoundary_WritesShortestHeaderThatReadsBack(int length, string headerHex)
    {
        byte[] value = new byte[length];
        new Random(length).NextBytes(value);
        var output = new ArrayBufferWriter<byte>();

        MessagePackWriter.WriteBinary(output, value);

        byte[] written = output.WrittenSpan.ToArray();
        Assert.That(Convert.ToHexString(written, 0, headerHex.Length / 2), Is.EqualTo(headerHex));
        AssertReadsBinary(written, value);
    }

    [TestCase("C5000401020304")]
    [TestCase("C60000000401020304")]
    [TestCase("C40401020304")]
    public void TryReadBinary_AnyWidth_ReadsBytes(string hex)
    {
        AssertReadsBinary(Convert.FromHexString(hex), [1, 2, 3, 4]);
    }

    [Test]
    public void WriteBinary_IntoTinySpans_CopiesInPieces()
    {
        byte[] value = new byte[70_000];
        new Random(1).NextBytes(value);
        var whole = new ArrayBufferWriter<byte>();
        var pieces = new TinySpanWriter();

        MessagePackWriter.WriteBinary(whole, value);
        MessagePackWriter.WriteBinary(pieces, value);

        Assert.That(pieces.ToArray(), Is.EqualTo(whole.WrittenSpan.ToArray()));
        Assert.That(pieces.LargestSpan, Is.LessThanOrEqualTo(TinySpanWriter.PieceSize));
    }

    // ---- limits ----

    [TestCase("DBFFFFFFFF", "str", "length 4294967295 exceeds the limit of 10 bytes.")]
    [TestCase("DA000B", "str", "length 11 exceeds the limit of 10 bytes.")]
    [TestCase("D90B", "str", "length 11 exceeds the limit of 10 bytes.")]
    [TestCase("AB", "str", "length 11 exceeds the limit of 10 bytes.")]
    [TestCase("C6FFFFFFFF", "bin", "length 4294967295 exceeds the limit of 10 bytes.")]
    [TestCase("C5000B", "bin", "length 11 exceeds the limit of 10 bytes.")]
    [TestCase("C40B", "bin", "length 11 exceeds the limit of 10 bytes.")]
    public void TryRead_LengthOverLimit_ThrowsBeforeBytesArrive(string hex, string type, string problem)
    {
        var input = new ReadOnlySequence<byte>(Convert.FromHexString(hex));

        var exception = Assert.Throws<ProtocolException>(() =>
        {
            var reader = new MessagePackReader(input);
            _ = type == "str" ? reader.TryReadString("field", 10, out _) : reader.TryReadBinary("field", 10, out _);
        });

        Assert.That(exception!.Message, Is.EqualTo("msgpack framing: field at offset 0: " + problem));
    }

    [TestCase("AA")]
    [TestCase("D90A")]
    [TestCase("C40A")]
    public void TryRead_LengthAtLimitWithoutBytes_ReturnsFalse(string hex)
    {
        var input = new ReadOnlySequence<byte>(Convert.FromHexString(hex));
        var reader = new MessagePackReader(input);

        bool read = hex.StartsWith('C') ? reader.TryReadBinary("field", 10, out _) : reader.TryReadString("field", 10, out _);

        Assert.That(read, Is.False);
        Assert.That(reader.Consumed, Is.Zero);
    }

    // ---- array and map headers ----

    [TestCase(0u, "90", "80")]
    [TestCase(15u, "9F", "8F")]
    [TestCase(16u, "DC0010", "DE0010")]
    [TestCase(65535u, "DCFFFF", "DEFFFF")]
    [TestCase(65536u, "DD00010000", "DF00010000")]
    [TestCase(uint.MaxValue, "DDFFFFFFFF", "DFFFFFFFFF")]
    public void WriteContainerHeaders_CountBoundary_WritesShortestHeaderThatReadsBack(uint count, string arrayHex, string mapHex)
    {
        var array = new ArrayBufferWriter<byte>();
        var map = new ArrayBufferWriter<byte>();

        MessagePackWriter.WriteArrayHeader(array, count);
        MessagePackWriter.WriteMapHeader(map, count);

        Assert.That(Convert.ToHexString(array.WrittenSpan), Is.EqualTo(arrayHex));
        Assert.That(Convert.ToHexString(map.WrittenSpan), Is.EqualTo(mapHex));
        foreach (ReadOnlySequence<byte> input in Shapes(array.WrittenSpan.ToArray()))
        {
            var reader = new MessagePackReader(input);
            Assert.That(reader.TryReadArrayHeader("array", out uint read), Is.True);
            Assert.That(read, Is.EqualTo(count));
            Assert.That(reader.End, Is.True);
        }

        foreach (ReadOnlySequence<byte> input in Shapes(map.WrittenSpan.ToArray()))
        {
            var reader = new MessagePackReader(input);
            Assert.That(reader.TryReadMapHeader("map", out uint read), Is.True);
            Assert.That(read, Is.EqualTo(count));
            Assert.That(reader.End, Is.True);
        }
    }

    [TestCase("DC0004", 4u)]
    [TestCase("DD00000004", 4u)]
    [TestCase("94", 4u)]
    public void TryReadArrayHeader_AnyWidth_ReadsCount(string hex, uint expected)
    {
        var reader = new MessagePackReader(new ReadOnlySequence<byte>(Convert.FromHexString(hex)));

        Assert.That(reader.TryReadArrayHeader("array", out uint count), Is.True);

        Assert.That(count, Is.EqualTo(expected));
    }

    // ---- nil ----

    [Test]
    public void TryReadNil_NilThenOther_ReadsOnlyTheNil()
    {
        var reader = new MessagePackReader(new ReadOnlySequence<byte>([0xc0, 0x01]));

        Assert.That(reader.TryReadNil(out bool first), Is.True);
        Assert.That(first, Is.True);
        Assert.That(reader.TryReadNil(out bool second), Is.True);
        Assert.That(second, Is.False);
        Assert.That(reader.Consumed, Is.EqualTo(1));
    }

    [Test]
    public void WriteNil_Always_WritesC0()
    {
        var output = new ArrayBufferWriter<byte>();

        MessagePackWriter.WriteNil(output);

        Assert.That(output.WrittenSpan.ToArray(), Is.EqualTo(new byte[] { 0xc0 }));
    }

    [Test]
    public void TryReadNil_Empty_ReturnsFalse()
    {
        var reader = new MessagePackReader(ReadOnlySequence<byte>.Empty);

        Assert.That(reader.TryReadNil(out _), Is.False);
    }

    // ---- every type byte ----

    [TestCaseSource(nameof(OperationCases))]
    public void TryRead_EveryTypeByte_AcceptsOnlyItsOwnTypesAndRejectsTheRest(int operation)
    {
        (string name, ReadOperation read, Func<byte, bool> accepts) = s_operations[operation];
        for (int code = 0; code <= 0xff; code++)
        {
            // The type byte, then enough zeros for any header; a length of zero needs no payload.
            var input = new ReadOnlySequence<byte>([(byte)code, 0, 0, 0, 0, 0, 0, 0, 0]);
            if (accepts((byte)code))
            {
                bool result = false;
                Assert.DoesNotThrow(() =>
                {
                    var reader = new MessagePackReader(input);
                    result = read(ref reader);
                }, $"0x{code:x2}");
                Assert.That(result || name == "str", Is.True, $"0x{code:x2}");
            }
            else
            {
                var exception = Assert.Throws<ProtocolException>(() =>
                {
                    var reader = new MessagePackReader(input);
                    read(ref reader);
                }, $"0x{code:x2}");
                Assert.That(
                    exception!.Message,
                    Is.EqualTo($"msgpack framing: value at offset 0: expected {name}, found 0x{code:x2} ({MessagePackCode.Describe((byte)code)})."));
            }
        }
    }

    [TestCaseSource(nameof(OperationCases))]
    public void TryRead_NeverUsedByte_Throws(int operation)
    {
        ReadOperation read = s_operations[operation].Read;
        var input = new ReadOnlySequence<byte>([0xc1]);

        var exception = Assert.Throws<ProtocolException>(() =>
        {
            var reader = new MessagePackReader(input);
            read(ref reader);
        });

        Assert.That(exception!.Message, Does.EndWith("found 0xc1 (never used)."));
    }

    [TestCase(0x00, "positive fixint")]
    [TestCase(0x85, "fixmap")]
    [TestCase(0x9a, "fixarray")]
    [TestCase(0xbf, "fixstr")]
    [TestCase(0xc1, "never used")]
    [TestCase(0xc7, "ext 8")]
    [TestCase(0xd8, "fixext 16")]
    [TestCase(0xdf, "map 32")]
    [TestCase(0xe0, "negative fixint")]
    public void Describe_TypeByte_NamesType(int code, string expected)
    {
        Assert.That(MessagePackCode.Describe((byte)code), Is.EqualTo(expected));
    }

    // ---- incomplete input ----

    [TestCase("uint", "CF0102030405060708")]
    [TestCase("uint", "CE01020304")]
    [TestCase("uint", "CD0102")]
    [TestCase("uint", "CC80")]
    [TestCase("uint", "D37FFFFFFFFFFFFFFF")]
    [TestCase("uint", "D17FFF")]
    [TestCase("str", "A3616263")]
    [TestCase("str", "D903616263")]
    [TestCase("str", "DA0003616263")]
    [TestCase("str", "DB00000003616263")]
    [TestCase("bin", "C403010203")]
    [TestCase("bin", "C50003010203")]
    [TestCase("bin", "C600000003010203")]
    [TestCase("array", "DC0100")]
    [TestCase("array", "DD00010000")]
    [TestCase("map", "DE0100")]
    [TestCase("map", "DF00010000")]
    public void TryRead_EveryProperPrefix_ReturnsFalseWithoutConsuming(string name, string hex)
    {
        ReadOperation read = s_operations.Single(o => o.Name == name).Read;
        byte[] bytes = Convert.FromHexString(hex);
        for (int length = 0; length <= bytes.Length; length++)
        {
            foreach (ReadOnlySequence<byte> input in Shapes(bytes.AsMemory(0, length)))
            {
                var reader = new MessagePackReader(input);

                bool result = read(ref reader);

                Assert.That(result, Is.EqualTo(length == bytes.Length), $"prefix of {length}");
                Assert.That(reader.Consumed, Is.EqualTo(result ? bytes.Length : 0), $"prefix of {length}");
            }
        }
    }

    [Test]
    public void Reader_SequenceOfValues_TracksOffsets()
    {
        byte[] bytes = Convert.FromHexString("CD0102A26869C403010203");
        var reader = new MessagePackReader(Segments.OneBytePerSegment(bytes));

        Assert.That(reader.TryReadUInt64("a", out ulong number), Is.True);
        Assert.That(reader.Consumed, Is.EqualTo(3));
        Assert.That(reader.TryReadString("b", 10, out ReadOnlySequence<byte> text), Is.True);
        Assert.That(reader.Consumed, Is.EqualTo(6));
        Assert.That(reader.TryReadBinary("c", 10, out ReadOnlySequence<byte> binary), Is.True);

        Assert.That(number, Is.EqualTo(0x0102ul));
        Assert.That(text.ToArray(), Is.EqualTo("hi"u8.ToArray()));
        Assert.That(binary.ToArray(), Is.EqualTo(new byte[] { 1, 2, 3 }));
        Assert.That(reader.End, Is.True);
    }

    private static void AssertReadsUInt64(byte[] bytes, ulong expected)
    {
        foreach (ReadOnlySequence<byte> input in Shapes(bytes))
        {
            var reader = new MessagePackReader(input);

            Assert.That(reader.TryReadUInt64("value", out ulong value), Is.True);

            Assert.That(value, Is.EqualTo(expected));
            Assert.That(reader.End, Is.True);
        }
    }

    private static void AssertReadsString(byte[] bytes, string expected)
    {
        foreach (ReadOnlySequence<byte> input in Shapes(bytes))
        {
            var reader = new MessagePackReader(input);

            Assert.That(reader.TryReadString("value", int.MaxValue - 100, out ReadOnlySequence<byte> utf8), Is.True);

            Assert.That(Encoding.UTF8.GetString(utf8.ToArray()), Is.EqualTo(expected));
            Assert.That(reader.End, Is.True);
        }
    }

    private static void AssertReadsBinary(byte[] bytes, byte[] expected)
    {
        foreach (ReadOnlySequence<byte> input in Shapes(bytes))
        {
            var reader = new MessagePackReader(input);

            Assert.That(reader.TryReadBinary("value", int.MaxValue - 100, out ReadOnlySequence<byte> value), Is.True);

            Assert.That(value.ToArray().AsSpan().SequenceEqual(expected), Is.True, "bytes differ");
            Assert.That(value.Length, Is.EqualTo(expected.Length));
            Assert.That(reader.End, Is.True);
        }
    }

    /// <summary>The bytes as one segment, and split after each of the first few bytes (where headers live).</summary>
    private static IEnumerable<ReadOnlySequence<byte>> Shapes(ReadOnlyMemory<byte> bytes)
    {
        yield return new ReadOnlySequence<byte>(bytes);
        yield return Segments.Split(bytes, Enumerable.Range(1, Math.Min(bytes.Length, 12)));
    }

    /// <summary>A writer that hands out spans of a few bytes, or the size hint when that is larger.</summary>
    private sealed class TinySpanWriter : IBufferWriter<byte>
    {
        public const int PieceSize = 7;

        private readonly List<byte> _written = [];
        private byte[] _current = [];

        public int LargestSpan { get; private set; }

        public void Advance(int count) => _written.AddRange(_current.AsSpan(0, count).ToArray());

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            _current = new byte[Math.Max(sizeHint, PieceSize)];
            LargestSpan = Math.Max(LargestSpan, _current.Length);
            return _current;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public byte[] ToArray() => [.. _written];
    }
}
