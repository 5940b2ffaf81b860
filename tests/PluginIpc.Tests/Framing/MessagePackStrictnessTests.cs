using System.Buffers;
using System.Text;

namespace PluginIpc.Tests.Framing;

/// <summary>
/// What the <c>msgpack</c> framing accepts and rejects, value by value, through the framer: every width of every field reads,
/// every other type byte is rejected naming the field and its offset, lengths are checked against the limits before their
/// bytes arrive, every proper prefix is incomplete, and writes use the shortest encodings.
/// </summary>
public sealed class MessagePackStrictnessTests
{
    /// <summary>Each field: the bytes of a chunk up to it, the type bytes it accepts, and the type it names in errors.</summary>
    private static readonly (string Field, string Prefix, Func<byte, bool> Accepts, string Expected)[] s_fields =
    [
        ("chunk", "", static c => c is >= 0x90 and <= 0x9f or 0xdc or 0xdd, "array"),
        ("threadId", "94", static c => c <= 0x7f || c is >= 0xcc and <= 0xd3, "uint"),
        ("direction", "9400", static c => c <= 0x7f || c is >= 0xcc and <= 0xd3, "uint"),
        ("cmd", "940000", static c => c is >= 0xa0 and <= 0xbf or >= 0xd9 and <= 0xdb, "str"),
        ("buffer", "940000a0", static c => c is >= 0xc4 and <= 0xc6 or 0xc0, "bin"),
        ("headers", "950000a0c400", static c => c is >= 0x80 and <= 0x8f or 0xde or 0xdf or 0xc0, "map"),
        ("header key", "950000a0c40081", static c => c is >= 0xa0 and <= 0xbf or >= 0xd9 and <= 0xdb, "str"),
        ("header value", "950000a0c40081a0", static c => c is >= 0xa0 and <= 0xbf or >= 0xd9 and <= 0xdb, "str"),
    ];

    private static IEnumerable<TestCaseData> FieldCases() =>
        s_fields.Select((f, i) => new TestCaseData(i).SetArgDisplayNames(f.Field));

    // ---- integers ----

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
    public void Write_ThreadIdBoundary_WritesShortestIntThatReadsBack(ulong threadId, string hex)
    {
        var chunk = new Chunk { ThreadId = threadId, Direction = Direction.Request, Cmd = "c" };

        byte[] written = Write(new MessagePackFramer(), chunk);

        Assert.That(Convert.ToHexString(written), Is.EqualTo("94" + hex + "02A163C400"));
        AssertReadsInEveryShape(written, chunk);
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
    public void TryRead_ThreadIdInAnyWidthOrNonNegativeSigned_Reads(string hex, ulong expected)
    {
        AssertReadsInEveryShape(
            Convert.FromHexString("94" + hex + "02A163C400"),
            new Chunk { ThreadId = expected, Direction = Direction.Request, Cmd = "c" });
    }

    [TestCase("04")]
    [TestCase("CC04")]
    [TestCase("CD0004")]
    [TestCase("CE00000004")]
    [TestCase("CF0000000000000004")]
    [TestCase("D004")]
    [TestCase("D10004")]
    [TestCase("D200000004")]
    [TestCase("D30000000000000004")]
    public void TryRead_DirectionInAnyWidthOrNonNegativeSigned_Reads(string hex)
    {
        AssertReadsInEveryShape(
            Convert.FromHexString("9407" + hex + "A163C400"),
            new Chunk { ThreadId = 7, Direction = Direction.Cancel, Cmd = "c" });
    }

    [TestCase("E0", "0xe0 (negative fixint).")]
    [TestCase("FF", "0xff (negative fixint).")]
    [TestCase("D0FF", "0xd0 (int 8) with the negative value -1.")]
    [TestCase("D18000", "0xd1 (int 16) with the negative value -32768.")]
    [TestCase("D280000000", "0xd2 (int 32) with the negative value -2147483648.")]
    [TestCase("D38000000000000000", "0xd3 (int 64) with the negative value -9223372036854775808.")]
    [TestCase("CA3F800000", "0xca (float 32).")]
    [TestCase("CB3FF0000000000000", "0xcb (float 64).")]
    [TestCase("C0", "0xc0 (nil).")]
    [TestCase("C3", "0xc3 (true).")]
    [TestCase("A131", "0xa1 (fixstr).")]
    public void TryRead_ThreadIdNegativeOrWrongType_ThrowsNamingFieldOffsetAndType(string hex, string found)
    {
        AssertThrowsInEveryShape(Convert.FromHexString("94" + hex + "02A163C400"), "msgpack framing: threadId at offset 1: expected uint, found " + found);
    }

    [TestCase("D0FF", "0xd0 (int 8) with the negative value -1.")]
    [TestCase("CB4000000000000000", "0xcb (float 64).")]
    public void TryRead_DirectionNegativeOrWrongType_ThrowsNamingFieldOffsetAndType(string hex, string found)
    {
        AssertThrowsInEveryShape(Convert.FromHexString("9407" + hex + "A163C400"), "msgpack framing: direction at offset 2: expected uint, found " + found);
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
    public void Write_CmdLengthBoundary_WritesShortestStrThatReadsBack(int length, string headerHex)
    {
        var chunk = new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = new string('s', length) };
        var framer = new MessagePackFramer(new FramerOptions { MaxCmdBytes = 100_000 });

        byte[] written = Write(framer, chunk);

        Assert.That(Convert.ToHexString(written, 3, headerHex.Length / 2), Is.EqualTo(headerHex));
        Assert.That(written, Has.Length.EqualTo(3 + (headerHex.Length / 2) + length + 2));
        AssertReadsInEveryShape(written, chunk, framer);
    }

    [Test]
    public void Write_MultiByteCmd_UsesUtf8LengthForHeader()
    {
        // 16 chars, 32 UTF-8 bytes: str 8, not fixstr.
        var chunk = new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = new string('é', 16) };

        byte[] written = Write(new MessagePackFramer(), chunk);

        Assert.That(Convert.ToHexString(written, 3, 2), Is.EqualTo("D920"));
        AssertReadsInEveryShape(written, chunk);
    }

    [TestCase("D90461626364")]
    [TestCase("DA000461626364")]
    [TestCase("DB0000000461626364")]
    [TestCase("A461626364")]
    public void TryRead_CmdHeaderKeyAndValueInAnyStrWidth_Read(string hex)
    {
        var expected = new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = "abcd", Headers = new Dictionary<string, string> { ["abcd"] = "abcd" } };

        AssertReadsInEveryShape(Convert.FromHexString("950102" + hex + "C40081" + hex + hex), expected);
    }

    [TestCase(10)]
    [TestCase(66_000)]
    public void Write_MultiByteStringsIntoTinySpans_WritesSameBytesAsIntoOneSpan(int minimumBytes)
    {
        // 1, 2, 3 and 4 UTF-8 bytes per scalar; past str 16, the str is written in pieces.
        string text = string.Concat(Enumerable.Repeat("aé命🙂", (minimumBytes / 10) + 1));
        var chunk = new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = text, Headers = new Dictionary<string, string> { [text] = text } };
        var framer = new MessagePackFramer(new FramerOptions { MaxCmdBytes = 100_000 });
        var pieces = new TinySpanWriter();

        framer.Write(chunk, pieces);

        byte[] whole = Write(framer, chunk);
        Assert.That(pieces.ToArray(), Is.EqualTo(whole));
        if (minimumBytes > ushort.MaxValue)
        {
            Assert.That(pieces.LargestSpan, Is.LessThanOrEqualTo(TinySpanWriter.PieceSize));
        }

        AssertReadsInEveryShape(whole, chunk, framer);
        Assert.That(Encoding.UTF8.GetByteCount(text), Is.GreaterThanOrEqualTo(minimumBytes));
    }

    // ---- bin ----

    [TestCase(0, "C400")]
    [TestCase(1, "C401")]
    [TestCase(255, "C4FF")]
    [TestCase(256, "C50100")]
    [TestCase(65535, "C5FFFF")]
    [TestCase(65536, "C600010000")]
    public void Write_BufferLengthBoundary_WritesShortestBinThatReadsBack(int length, string headerHex)
    {
        byte[] buffer = new byte[length];
        new Random(length).NextBytes(buffer);
        var chunk = new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = "c", Buffer = buffer };

        byte[] written = Write(new MessagePackFramer(), chunk);

        Assert.That(Convert.ToHexString(written, 5, headerHex.Length / 2), Is.EqualTo(headerHex));
        Assert.That(written, Has.Length.EqualTo(5 + (headerHex.Length / 2) + length));
        AssertReadsInEveryShape(written, chunk);
    }

    [TestCase("C5000401020304")]
    [TestCase("C60000000401020304")]
    [TestCase("C40401020304")]
    public void TryRead_BufferInAnyBinWidth_Reads(string hex)
    {
        AssertReadsInEveryShape(
            Convert.FromHexString("940102A163" + hex),
            new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = "c", Buffer = new byte[] { 1, 2, 3, 4 } });
    }

    // ---- limits ----

    [TestCase("940102", "cmd", 3, "DBFFFFFFFF", "length 4294967295")]
    [TestCase("940102", "cmd", 3, "DB80000000", "length 2147483648")]
    [TestCase("940102", "cmd", 3, "DA000B", "length 11")]
    [TestCase("940102", "cmd", 3, "D90B", "length 11")]
    [TestCase("940102", "cmd", 3, "AB", "length 11")]
    [TestCase("940102A0", "buffer", 4, "C6FFFFFFFF", "length 4294967295")]
    [TestCase("940102A0", "buffer", 4, "C680000000", "length 2147483648")]
    [TestCase("940102A0", "buffer", 4, "C5000B", "length 11")]
    [TestCase("940102A0", "buffer", 4, "C40B", "length 11")]
    [TestCase("950102A0C40081", "header key", 7, "DA000B", "length 11")]
    [TestCase("950102A0C40081A0", "header value", 8, "DBFFFFFFFF", "length 4294967295")]
    [TestCase("950102A0C40081A0", "header value", 8, "AB", "length 11")]
    public void TryRead_LengthOverLimit_ThrowsBeforeItsBytesArrive(string prefix, string field, int offset, string header, string length)
    {
        var framer = new MessagePackFramer(new FramerOptions { MaxCmdBytes = 10, MaxChunkBytes = 10 });

        AssertThrowsInEveryShape(
            Convert.FromHexString(prefix + header),
            $"msgpack framing: {field} at offset {offset}: {length} exceeds the limit of 10 bytes.",
            framer);
    }

    [TestCase("940102AA")]
    [TestCase("940102D90A")]
    [TestCase("940102A0C40A")]
    [TestCase("940102A0C5000A")]
    [TestCase("950102A0C40081DB0000000A")]
    public void TryRead_LengthAtLimitWithoutItsBytes_ReturnsFalseWithoutConsuming(string hex)
    {
        var framer = new MessagePackFramer(new FramerOptions { MaxCmdBytes = 10, MaxChunkBytes = 10 });

        foreach (ReadOnlySequence<byte> shape in Shapes(Convert.FromHexString(hex)))
        {
            ReadOnlySequence<byte> input = shape;

            Assert.That(framer.TryRead(ref input, out Chunk? chunk), Is.False);

            Assert.That(chunk, Is.Null);
            Assert.That(input.Length, Is.EqualTo(shape.Length));
        }
    }

    // ---- array and map headers ----

    [TestCase("94")]
    [TestCase("DC0004")]
    [TestCase("DD00000004")]
    public void TryRead_ArrayInAnyWidth_Reads(string hex)
    {
        AssertReadsInEveryShape(Convert.FromHexString(hex + "0102A163C400"), new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = "c" });
    }

    [TestCase("81")]
    [TestCase("DE0001")]
    [TestCase("DF00000001")]
    public void TryRead_HeadersMapInAnyWidth_Reads(string hex)
    {
        AssertReadsInEveryShape(
            Convert.FromHexString("950102A163C400" + hex + "A16BA176"),
            new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = "c", Headers = new Dictionary<string, string> { ["k"] = "v" } });
    }

    [TestCase(15, "8F")]
    [TestCase(16, "DE0010")]
    [TestCase(1024, "DE0400")]
    public void Write_HeaderCountBoundary_WritesShortestMapThatReadsBack(int count, string mapHex)
    {
        var headers = Enumerable.Range(0, count).ToDictionary(i => "k" + i, i => "v" + i);
        var chunk = new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = "c", Headers = headers };

        byte[] written = Write(new MessagePackFramer(), chunk);

        Assert.That(Convert.ToHexString(written, 0, 1), Is.EqualTo("95"));
        Assert.That(Convert.ToHexString(written, 7, mapHex.Length / 2), Is.EqualTo(mapHex));
        AssertReadsInEveryShape(written, chunk);
    }

    [TestCase("DF00000401", "1025")]
    [TestCase("DFFFFFFFFF", "4294967295")]
    public void TryRead_HeaderCountOverLimitInMap32_ThrowsBeforeEntriesArrive(string hex, string count)
    {
        AssertThrowsInEveryShape(
            Convert.FromHexString("950102A0C400" + hex),
            $"msgpack framing: headers at offset 6: {count} entries exceed the limit of 1024.");
    }

    [TestCase("DDFFFFFFFF", "4294967295")]
    [TestCase("DC0006", "6")]
    [TestCase("90", "0")]
    public void TryRead_ArrayOfAnyOtherCount_ThrowsBeforeElementsArrive(string hex, string count)
    {
        AssertThrowsInEveryShape(Convert.FromHexString(hex), $"msgpack framing: chunk at offset 0: expected an array of 4 or 5 elements, found {count}.");
    }

    // ---- every type byte, in every field ----

    [TestCaseSource(nameof(FieldCases))]
    public void TryRead_EveryTypeByte_AcceptsOnlyTheFieldsOwnTypesAndRejectsTheRestNamingFieldAndOffset(int index)
    {
        (string field, string prefixHex, Func<byte, bool> accepts, string expected) = s_fields[index];
        byte[] prefix = Convert.FromHexString(prefixHex);
        var framer = new MessagePackFramer();
        var wrong = new List<string>();
        for (int code = 0; code <= 0xff; code++)
        {
            // The type byte, then zeros: every length or count is zero and every number is zero, so nothing is over a limit.
            byte[] bytes = [.. prefix, (byte)code, 0, 0, 0, 0, 0, 0, 0, 0];
            foreach (ReadOnlySequence<byte> shape in Shapes(bytes))
            {
                ReadOnlySequence<byte> input = shape;
                string? message = null;
                try
                {
                    framer.TryRead(ref input, out _);
                }
                catch (ProtocolException ex)
                {
                    message = ex.Message;
                }

                string typeError = $"msgpack framing: {field} at offset {prefix.Length}: expected {expected}, found ";
                if (accepts((byte)code))
                {
                    // What follows may still be wrong (a direction of 127, a fixarray of 3), but not this field's type.
                    if (message is not null && message.StartsWith(typeError, StringComparison.Ordinal))
                    {
                        wrong.Add($"0x{code:x2} rejected: {message}");
                    }
                }
                else if (message != $"{typeError}0x{code:x2} ({TypeName((byte)code)}).")
                {
                    wrong.Add($"0x{code:x2} not rejected as expected: {message ?? "no error"}");
                }
            }
        }

        Assert.That(wrong, Is.Empty);
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
    public void TryRead_UnexpectedTypeByte_NamesTheType(int code, string name)
    {
        // The buffer accepts only bin and nil; each of these is rejected with its name.
        byte[] bytes = [0x94, 0x07, 0x02, 0xa0, (byte)code, 0, 0];
        var input = new ReadOnlySequence<byte>(bytes);

        var exception = Assert.Throws<ProtocolException>(() => new MessagePackFramer().TryRead(ref input, out _));

        Assert.That(exception!.Message, Is.EqualTo($"msgpack framing: buffer at offset 4: expected bin, found 0x{code:x2} ({name})."));
        Assert.That(TypeName((byte)code), Is.EqualTo(name));
    }

    // ---- incomplete input ----

    [TestCase("94CF0102030405060708", "02A163C400")]
    [TestCase("94CE01020304", "02A163C400")]
    [TestCase("94CD0102", "02A163C400")]
    [TestCase("94CC80", "02A163C400")]
    [TestCase("94D37FFFFFFFFFFFFFFF", "02A163C400")]
    [TestCase("94D17FFF", "02A163C400")]
    [TestCase("9401D10004", "A0C400")]
    [TestCase("940102A3616263", "C400")]
    [TestCase("940102D903616263", "C400")]
    [TestCase("940102DA0003616263", "C400")]
    [TestCase("940102DB00000003616263", "C400")]
    [TestCase("940102A0C403010203", "")]
    [TestCase("940102A0C50003010203", "")]
    [TestCase("940102A0C600000003010203", "")]
    [TestCase("DC0004", "0102A0C400")]
    [TestCase("DD00000004", "0102A0C400")]
    [TestCase("950102A0C400DE0001", "A0A0")]
    [TestCase("950102A0C400DF00000001", "A0A0")]
    [TestCase("950102A0C40081DA000161", "A0")]
    [TestCase("950102A0C40081A0DB0000000161", "")]
    public void TryRead_EveryProperPrefix_ReturnsFalseWithoutConsumingAndTheWholeReads(string hex, string rest)
    {
        byte[] bytes = Convert.FromHexString(hex + rest);
        var framer = new MessagePackFramer();
        foreach (ReadOnlySequence<byte> shape in Shapes(bytes))
        {
            ReadOnlySequence<byte> input = shape;
            Assert.That(framer.TryRead(ref input, out Chunk? chunk), Is.True, "whole");
            Assert.That(chunk, Is.Not.Null);
            Assert.That(input.Length, Is.Zero);
        }

        for (int length = 0; length < bytes.Length; length++)
        {
            foreach (ReadOnlySequence<byte> shape in Shapes(bytes.AsMemory(0, length)))
            {
                ReadOnlySequence<byte> input = shape;

                Assert.That(framer.TryRead(ref input, out Chunk? chunk), Is.False, $"prefix of {length}");

                Assert.That(chunk, Is.Null);
                Assert.That(input.Start, Is.EqualTo(shape.Start), $"prefix of {length}");
                Assert.That(input.End, Is.EqualTo(shape.End), $"prefix of {length}");
            }
        }
    }

    /// <summary>The names of the type bytes, as the framing's errors give them.</summary>
    private static string TypeName(byte code) => code switch
    {
        <= 0x7f => "positive fixint",
        <= 0x8f => "fixmap",
        <= 0x9f => "fixarray",
        <= 0xbf => "fixstr",
        0xc0 => "nil",
        0xc1 => "never used",
        0xc2 => "false",
        0xc3 => "true",
        0xc4 => "bin 8",
        0xc5 => "bin 16",
        0xc6 => "bin 32",
        0xc7 => "ext 8",
        0xc8 => "ext 16",
        0xc9 => "ext 32",
        0xca => "float 32",
        0xcb => "float 64",
        0xcc => "uint 8",
        0xcd => "uint 16",
        0xce => "uint 32",
        0xcf => "uint 64",
        0xd0 => "int 8",
        0xd1 => "int 16",
        0xd2 => "int 32",
        0xd3 => "int 64",
        0xd4 => "fixext 1",
        0xd5 => "fixext 2",
        0xd6 => "fixext 4",
        0xd7 => "fixext 8",
        0xd8 => "fixext 16",
        0xd9 => "str 8",
        0xda => "str 16",
        0xdb => "str 32",
        0xdc => "array 16",
        0xdd => "array 32",
        0xde => "map 16",
        0xdf => "map 32",
        _ => "negative fixint",
    };

    private static byte[] Write(MessagePackFramer framer, Chunk chunk)
    {
        var output = new ArrayBufferWriter<byte>();
        framer.Write(chunk, output);
        return output.WrittenSpan.ToArray();
    }

    private static void AssertReadsInEveryShape(byte[] bytes, Chunk expected, MessagePackFramer? framer = null)
    {
        framer ??= new MessagePackFramer();
        foreach (ReadOnlySequence<byte> shape in Shapes(bytes))
        {
            ReadOnlySequence<byte> input = shape;

            Assert.That(framer.TryRead(ref input, out Chunk? chunk), Is.True);

            Assert.That(input.Length, Is.Zero);
            ChunkAssert.AreEqual(expected, chunk);
        }
    }

    private static void AssertThrowsInEveryShape(byte[] bytes, string message, MessagePackFramer? framer = null)
    {
        framer ??= new MessagePackFramer();
        foreach (ReadOnlySequence<byte> shape in Shapes(bytes))
        {
            ReadOnlySequence<byte> input = shape;

            var exception = Assert.Throws<ProtocolException>(() => framer.TryRead(ref input, out _));

            Assert.That(exception!.Message, Is.EqualTo(message));
        }
    }

    /// <summary>The bytes as one segment, split after each of the first few bytes (where types and lengths are), and one byte per segment when short.</summary>
    private static IEnumerable<ReadOnlySequence<byte>> Shapes(ReadOnlyMemory<byte> bytes)
    {
        yield return new ReadOnlySequence<byte>(bytes);
        yield return Segments.Split(bytes, Enumerable.Range(1, Math.Min(bytes.Length, 16)));
        if (bytes.Length <= 64)
        {
            yield return Segments.OneBytePerSegment(bytes);
        }
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
