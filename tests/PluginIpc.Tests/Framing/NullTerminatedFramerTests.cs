using System.Buffers;
using System.Text;
using PluginIpc.Tests.Vectors;

namespace PluginIpc.Tests.Framing;

public sealed class NullTerminatedFramerTests
{
    private const int SplitPrefixBytes = 400;

    private static IEnumerable<TestCaseData> ValidCases() => WireVector.Cases("text", "valid");

    private static IEnumerable<TestCaseData> InvalidCases() => WireVector.Cases("text", "invalid");

    private static IEnumerable<TestCaseData> IncompleteCases() => WireVector.Cases("text", "incomplete");

    private static IEnumerable<TestCaseData> CanonicalCases() =>
        WireVector.Load("text", "valid").Where(v => v.Canonical).Select(v => new TestCaseData(v).SetArgDisplayNames(v.Name));

    [TestCaseSource(nameof(ValidCases))]
    public void TryRead_ValidVectorWhole_DecodesChunkAndConsumesAll(WireVector vector) =>
        AssertDecodes(vector, new ReadOnlySequence<byte>(vector.Bytes));

    [TestCaseSource(nameof(ValidCases))]
    public void TryRead_ValidVectorOneBytePerSegment_DecodesChunkAndConsumesAll(WireVector vector) =>
        AssertDecodes(vector, Segments.OneBytePerSegment(vector.Bytes));

    [TestCaseSource(nameof(ValidCases))]
    public void TryRead_ValidVectorTwiceSplitInTwoAnywhere_DecodesBothWhetherOrNotTheFirstLiesInOneSegment(WireVector vector)
    {
        var framer = new NullTerminatedFramer();
        byte[] twice = [.. vector.Bytes, .. vector.Bytes];
        foreach (int cut in CutPoints(twice.Length, vector.Bytes.Length))
        {
            ReadOnlySequence<byte> input = Segments.Split(twice, [cut]);

            Assert.That(framer.TryRead(ref input, out Chunk? first), Is.True, $"first chunk, cut at {cut}");
            Assert.That(framer.TryRead(ref input, out Chunk? second), Is.True, $"second chunk, cut at {cut}");
            ChunkAssert.AreEqual(vector.Expected!, first);
            ChunkAssert.AreEqual(vector.Expected!, second);
            Assert.That(input.Length, Is.Zero, $"cut at {cut}");
        }
    }

    [TestCaseSource(nameof(InvalidCases))]
    public void TryRead_InvalidVectorFollowedByMoreSplitInTwoAnywhere_FailsAsTheWholeVectorDoes(WireVector vector)
    {
        var framer = new NullTerminatedFramer();
        var whole = new ReadOnlySequence<byte>(vector.Bytes);
        string expected = Assert.Throws<ProtocolException>(() => framer.TryRead(ref whole, out _))!.Message;
        byte[] followed = [.. vector.Bytes, .. "1\u00001\u00004\u0000echo0\u0000"u8];
        foreach (int cut in CutPoints(followed.Length, vector.Bytes.Length))
        {
            ReadOnlySequence<byte> input = Segments.Split(followed, [cut]);

            Assert.That(() => framer.TryRead(ref input, out _), Throws.TypeOf<ProtocolException>().With.Message.EqualTo(expected), $"cut at {cut}");
        }
    }

    [TestCaseSource(nameof(CanonicalCases))]
    public void Write_CanonicalVector_ProducesExactBytes(WireVector vector)
    {
        var writer = new ArrayBufferWriter<byte>();

        new NullTerminatedFramer().Write(vector.Expected!, writer);

        Assert.That(writer.WrittenSpan.ToArray(), Is.EqualTo(vector.Bytes));
    }

    [TestCaseSource(nameof(ValidCases))]
    public void TryRead_EveryProperPrefixOfValidVector_ReturnsFalseAndKeepsInput(WireVector vector)
    {
        var framer = new NullTerminatedFramer();
        for (int length = 0; length < vector.Bytes.Length; length++)
        {
            ReadOnlyMemory<byte> prefix = vector.Bytes.AsMemory(0, length);
            AssertIncomplete(framer, new ReadOnlySequence<byte>(prefix), $"prefix of {length} bytes, whole");

            // Splitting every byte of every prefix is quadratic; the 64 KiB vectors get their first bytes split
            // (header and cmd) and a sample of the longer prefixes.
            if (length <= SplitPrefixBytes || length % 1009 == 0 || length > vector.Bytes.Length - 4)
            {
                ReadOnlySequence<byte> split = Segments.Split(prefix, Enumerable.Range(1, Math.Min(length, SplitPrefixBytes)));
                AssertIncomplete(framer, split, $"prefix of {length} bytes, first bytes one per segment");
            }
        }
    }

    [TestCaseSource(nameof(InvalidCases))]
    public void TryRead_InvalidVectorWhole_ThrowsProtocolException(WireVector vector)
    {
        var framer = new NullTerminatedFramer();
        var input = new ReadOnlySequence<byte>(vector.Bytes);

        Assert.That(() => framer.TryRead(ref input, out _), Throws.TypeOf<ProtocolException>());
    }

    [TestCaseSource(nameof(InvalidCases))]
    public void TryRead_InvalidVectorOneBytePerSegment_ThrowsProtocolException(WireVector vector)
    {
        var framer = new NullTerminatedFramer();
        ReadOnlySequence<byte> input = Segments.OneBytePerSegment(vector.Bytes);

        Assert.That(() => framer.TryRead(ref input, out _), Throws.TypeOf<ProtocolException>());
    }

    [TestCaseSource(nameof(IncompleteCases))]
    public void TryRead_IncompleteVector_ReturnsFalseAndKeepsInput(WireVector vector)
    {
        var framer = new NullTerminatedFramer();

        AssertIncomplete(framer, new ReadOnlySequence<byte>(vector.Bytes), "whole");
        AssertIncomplete(framer, Segments.OneBytePerSegment(vector.Bytes), "one byte per segment");
    }

    [TestCaseSource(nameof(IncompleteCases))]
    public void TryRead_EveryPrefixOfIncompleteVector_ReturnsFalseAndKeepsInput(WireVector vector)
    {
        var framer = new NullTerminatedFramer();
        for (int length = 0; length <= vector.Bytes.Length; length++)
        {
            ReadOnlyMemory<byte> prefix = vector.Bytes.AsMemory(0, length);
            AssertIncomplete(framer, new ReadOnlySequence<byte>(prefix), $"prefix of {length} bytes, whole");
            AssertIncomplete(framer, Segments.OneBytePerSegment(prefix), $"prefix of {length} bytes, one byte per segment");
        }
    }

    [Test]
    public void TryRead_TwoChunksBackToBack_ReadsEachInTurn()
    {
        var framer = new NullTerminatedFramer();
        var first = new Chunk { ThreadId = 7, Direction = Direction.Request, Cmd = "echo", Buffer = "hi"u8.ToArray() };
        var second = new Chunk { ThreadId = 8, Direction = Direction.Response, Cmd = "echo", Buffer = "there"u8.ToArray() };
        var writer = new ArrayBufferWriter<byte>();
        framer.Write(first, writer);
        framer.Write(second, writer);
        ReadOnlySequence<byte> input = Segments.Split(writer.WrittenMemory, [3, 11, 20]);

        Assert.That(framer.TryRead(ref input, out Chunk? a), Is.True);
        Assert.That(framer.TryRead(ref input, out Chunk? b), Is.True);
        Assert.That(framer.TryRead(ref input, out Chunk? c), Is.False);
        ChunkAssert.AreEqual(first, a);
        ChunkAssert.AreEqual(second, b);
        Assert.That(c, Is.Null);
        Assert.That(input.Length, Is.Zero);
    }

    [Test]
    public void TryRead_InputChangedAfterRead_ChunkKeepsItsOwnCopy()
    {
        var framer = new NullTerminatedFramer();
        byte[] bytes = "7\u00002\u00004\u0000echo2\u0000hi"u8.ToArray();
        var input = new ReadOnlySequence<byte>(bytes);

        Assert.That(framer.TryRead(ref input, out Chunk? chunk), Is.True);
        bytes.AsSpan().Fill((byte)'x');

        Assert.That(chunk!.Buffer.ToArray(), Is.EqualTo("hi"u8.ToArray()));
        Assert.That(chunk.Cmd, Is.EqualTo("echo"));
    }

    [TestCase("7\u00002\u00004", 3, TestName = "TryRead_CmdLengthDigitsOverLimit_ThrowsBeforeTerminator")]
    [TestCase("7\u00002\u000010", 9, TestName = "TryRead_CmdLengthTwoDigitsOverLimit_ThrowsBeforeTerminator")]
    [TestCase("7\u00002\u00004\u0000", 3, TestName = "TryRead_CmdLengthOverLimit_ThrowsBeforeCmdArrives")]
    public void TryRead_CmdLengthOverMaxCmdBytes_Throws(string text, int maxCmdBytes)
    {
        var framer = new NullTerminatedFramer(new FramerOptions { MaxCmdBytes = maxCmdBytes });
        var input = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text));

        Assert.That(
            () => framer.TryRead(ref input, out _),
            Throws.TypeOf<ProtocolException>().With.Message.Contains("cmd length at offset 4"));
    }

    [TestCase("7\u00002\u00004\u0000echo11", 10, TestName = "TryRead_BufferLengthDigitsOverLimit_ThrowsBeforeTerminator")]
    [TestCase("7\u00002\u00004\u0000echo20", 10, TestName = "TryRead_BufferLengthTwoDigitsOverLimit_ThrowsBeforeTerminator")]
    [TestCase("7\u00002\u00004\u0000echo11\u0000", 10, TestName = "TryRead_BufferLengthOverLimit_ThrowsBeforeBufferArrives")]
    public void TryRead_BufferLengthOverMaxChunkBytes_Throws(string text, int maxChunkBytes)
    {
        var framer = new NullTerminatedFramer(new FramerOptions { MaxChunkBytes = maxChunkBytes });
        var input = new ReadOnlySequence<byte>(Encoding.UTF8.GetBytes(text));

        Assert.That(
            () => framer.TryRead(ref input, out _),
            Throws.TypeOf<ProtocolException>().With.Message.Contains("buffer length at offset 10"));
    }

    [Test]
    public void TryRead_LengthsExactlyAtLimits_DecodesChunk()
    {
        var framer = new NullTerminatedFramer(new FramerOptions { MaxCmdBytes = 4, MaxChunkBytes = 2 });
        var input = new ReadOnlySequence<byte>("7\u00002\u00004\u0000echo2\u0000hi"u8.ToArray());

        Assert.That(framer.TryRead(ref input, out Chunk? chunk), Is.True);
        Assert.That(chunk!.Cmd, Is.EqualTo("echo"));
    }

    [Test]
    public void Write_CmdOverMaxCmdBytes_ThrowsAndWritesNothing()
    {
        var framer = new NullTerminatedFramer(new FramerOptions { MaxCmdBytes = 4 });
        var writer = new ArrayBufferWriter<byte>();
        var chunk = new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = "échos" };

        Assert.That(() => framer.Write(chunk, writer), Throws.TypeOf<ProtocolException>().With.Message.Contains("MaxCmdBytes"));
        Assert.That(writer.WrittenCount, Is.Zero);
    }

    [Test]
    public void Write_CmdWithMultiByteCharsAtLimit_WritesUtf8Length()
    {
        // "é" is two UTF-8 bytes, so "éé" is exactly 4 bytes although only 2 chars.
        var framer = new NullTerminatedFramer(new FramerOptions { MaxCmdBytes = 4 });
        var writer = new ArrayBufferWriter<byte>();

        framer.Write(new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = "éé" }, writer);

        Assert.That(writer.WrittenSpan.ToArray(), Is.EqualTo("1\u00002\u00004\u0000éé0\u0000"u8.ToArray()));
    }

    [Test]
    public void Write_BufferOverMaxChunkBytes_ThrowsAndWritesNothing()
    {
        var framer = new NullTerminatedFramer(new FramerOptions { MaxChunkBytes = 3 });
        var writer = new ArrayBufferWriter<byte>();
        var chunk = new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = "echo", Buffer = new byte[4] };

        Assert.That(() => framer.Write(chunk, writer), Throws.TypeOf<ProtocolException>().With.Message.Contains("MaxChunkBytes"));
        Assert.That(writer.WrittenCount, Is.Zero);
    }

    [TestCase("7a\u00002\u00004\u0000echo0\u0000", "threadId at offset 0", TestName = "TryRead_LetterInThreadId_MessageNamesThreadIdAtOffset0")]
    [TestCase("07\u00002\u00004\u0000echo0\u0000", "threadId at offset 0: leading zero", TestName = "TryRead_LeadingZero_MessageSaysLeadingZero")]
    [TestCase("\u00002\u00004\u0000echo0\u0000", "threadId at offset 0", TestName = "TryRead_EmptyThreadId_MessageNamesThreadId")]
    [TestCase("123\u00005", "direction at offset 4", TestName = "TryRead_DirectionFive_MessageNamesDirectionAtOffset4")]
    [TestCase("123\u0000-2", "direction at offset 4", TestName = "TryRead_NegativeDirection_MessageNamesDirection")]
    [TestCase("1\u00002\u00004\u0000echo 2\u0000hi", "buffer length at offset 10", TestName = "TryRead_SpaceInBufferLength_MessageNamesBufferLength")]
    [TestCase("7\u00002\u00002\u0000\u00c3(0\u0000", "cmd at offset 6", TestName = "TryRead_InvalidUtf8Cmd_MessageNamesCmdAtOffset6")]
    [TestCase("100000000000000000000", "more than 20 digits", TestName = "TryRead_TwentyOneDigits_ThrowsWithoutTerminator")]
    [TestCase("18446744073709551616", "threadId at offset 0", TestName = "TryRead_ThreadIdOver64Bits_ThrowsWithoutTerminator")]
    [TestCase("99999999999999999999", "threadId at offset 0: value over the maximum", TestName = "TryRead_TwentyNines_ThrowsOverMaximum")]
    [TestCase("1\u00002\u00004097", "cmd length at offset 4: value over the maximum of 4096", TestName = "TryRead_CmdLengthOverMax_ThrowsAtTheDigitThatGoesOver")]
    public void TryRead_InvalidInput_MessageNamesFieldAndOffset(string text, string expected)
    {
        var framer = new NullTerminatedFramer();
        // Latin-1 keeps each char of the test case as one byte, so "\u00c3" is the lone byte 0xC3.
        var input = new ReadOnlySequence<byte>(Encoding.Latin1.GetBytes(text));

        Assert.That(
            () => framer.TryRead(ref input, out _),
            Throws.TypeOf<ProtocolException>().With.Message.StartsWith("text framing: ").And.Message.Contains(expected));
    }

    [Test]
    public void TryRead_ThreadIdMaxValue_ReadsIt()
    {
        var framer = new NullTerminatedFramer();
        var input = new ReadOnlySequence<byte>("18446744073709551615\u00002\u00004\u0000echo0\u0000"u8.ToArray());

        Assert.That(framer.TryRead(ref input, out Chunk? chunk), Is.True);
        Assert.That(chunk!.ThreadId, Is.EqualTo(ulong.MaxValue));
    }

    [Test]
    public void TryRead_CmdPrefixThatCanNeverBeUtf8_ThrowsBeforeCmdIsComplete()
    {
        var framer = new NullTerminatedFramer();
        var input = new ReadOnlySequence<byte>([(byte)'7', 0, (byte)'2', 0, (byte)'4', 0, 0xC3, 0x28]);

        Assert.That(() => framer.TryRead(ref input, out _), Throws.TypeOf<ProtocolException>().With.Message.Contains("cmd at offset 6"));
    }

    [Test]
    public void TryRead_CmdCutInsideMultiByteChar_ReturnsFalse()
    {
        var framer = new NullTerminatedFramer();
        var input = new ReadOnlySequence<byte>([(byte)'7', 0, (byte)'2', 0, (byte)'4', 0, 0xF0, 0x9F, 0x98]);

        AssertIncomplete(framer, input, "cut after 3 of the 4 bytes of U+1F600");
    }

    [Test]
    public void Write_ChunkWithHeaders_DropsHeaders()
    {
        var framer = new NullTerminatedFramer();
        var plain = new Chunk { ThreadId = 3, Direction = Direction.OneWay, Cmd = "cmd.log", Buffer = "{}"u8.ToArray() };
        var withHeaders = new Chunk
        {
            ThreadId = plain.ThreadId,
            Direction = plain.Direction,
            Cmd = plain.Cmd,
            Buffer = plain.Buffer,
            Headers = new Dictionary<string, string> { ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01" },
        };
        var expected = new ArrayBufferWriter<byte>();
        var actual = new ArrayBufferWriter<byte>();
        framer.Write(plain, expected);

        framer.Write(withHeaders, actual);
        var input = new ReadOnlySequence<byte>(actual.WrittenMemory);
        framer.TryRead(ref input, out Chunk? read);

        Assert.That(actual.WrittenSpan.ToArray(), Is.EqualTo(expected.WrittenSpan.ToArray()));
        Assert.That(read!.Headers, Is.Null);
    }

    [Test]
    public void Write_WarmCallIntoPreGrownWriter_AllocatesNothing()
    {
        var framer = new NullTerminatedFramer();
        var chunk = new Chunk { ThreadId = ulong.MaxValue, Direction = Direction.Request, Cmd = "ünïcødé/命令", Buffer = new byte[4096] };
        var writer = new ArrayBufferWriter<byte>(64 * 1024);
        framer.Write(chunk, writer);
        writer.ResetWrittenCount();

        long before = GC.GetAllocatedBytesForCurrentThread();
        framer.Write(chunk, writer);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void TryRead_WarmCall_AllocatesOnlyChunkAndBuffer()
    {
        const int BufferLength = 1000;
        var framer = new NullTerminatedFramer();
        var writer = new ArrayBufferWriter<byte>();
        framer.Write(new Chunk { ThreadId = 42, Direction = Direction.Response, Cmd = "echo", Buffer = new byte[BufferLength] }, writer);
        ReadOnlyMemory<byte> bytes = writer.WrittenMemory;
        var warm = new ReadOnlySequence<byte>(bytes);
        framer.TryRead(ref warm, out _);
        var input = new ReadOnlySequence<byte>(bytes);

        long before = GC.GetAllocatedBytesForCurrentThread();
        framer.TryRead(ref input, out Chunk? chunk);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(chunk, Is.Not.Null);
        // The byte[] (header + data) and the Chunk object; the cmd string comes from the cache.
        Assert.That(allocated, Is.LessThanOrEqualTo(BufferLength + 200));
    }

    [Test]
    public void TryRead_IncompleteChunk_AllocatesNothing()
    {
        var framer = new NullTerminatedFramer();
        var writer = new ArrayBufferWriter<byte>();
        framer.Write(new Chunk { ThreadId = 42, Direction = Direction.Response, Cmd = "echo", Buffer = new byte[1000] }, writer);
        ReadOnlySequence<byte> input = Segments.Split(writer.WrittenMemory[..500], [5, 9, 100]);
        framer.TryRead(ref input, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        framer.TryRead(ref input, out _);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void Write_WriterWithSmallSpans_CopiesBufferInPieces()
    {
        var framer = new NullTerminatedFramer();
        byte[] buffer = Enumerable.Range(0, 1000).Select(i => (byte)i).ToArray();
        var chunk = new Chunk { ThreadId = 9, Direction = Direction.OneWay, Cmd = "blob", Buffer = buffer };
        var expected = new ArrayBufferWriter<byte>();
        framer.Write(chunk, expected);
        var small = new SmallSpanWriter(7);

        framer.Write(chunk, small);

        Assert.That(small.Written, Is.EqualTo(expected.WrittenSpan.ToArray()));
    }

    [TestCase((Direction)5)]
    [TestCase((Direction)255)]
    public void Write_DirectionOutOfRange_ThrowsArgumentOutOfRange(Direction direction)
    {
        var writer = new ArrayBufferWriter<byte>();

        Assert.That(
            () => new NullTerminatedFramer().Write(new Chunk { Direction = direction }, writer),
            Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(writer.WrittenCount, Is.Zero);
    }

    [Test]
    public void Write_NullArguments_ThrowArgumentNull()
    {
        var framer = new NullTerminatedFramer();

        Assert.That(() => framer.Write(null!, new ArrayBufferWriter<byte>()), Throws.ArgumentNullException);
        Assert.That(() => framer.Write(new Chunk(), null!), Throws.ArgumentNullException);
    }

    [Test]
    public void Constructor_InvalidOptions_ThrowsArgumentOutOfRange()
    {
        Assert.That(() => new NullTerminatedFramer(new FramerOptions { MaxCmdBytes = 0 }), Throws.TypeOf<ArgumentOutOfRangeException>());
        Assert.That(() => new NullTerminatedFramer(null!), Throws.ArgumentNullException);
    }

    [Test]
    public void Name_Always_IsText() => Assert.That(new NullTerminatedFramer().Name, Is.EqualTo("text"));

    /// <summary>Where to cut <paramref name="length"/> bytes in two: every point near the start and near <paramref name="boundary"/>, and a sample of the rest.</summary>
    private static IEnumerable<int> CutPoints(int length, int boundary) =>
        Enumerable.Range(1, length - 1).Where(cut => cut <= SplitPrefixBytes || Math.Abs(cut - boundary) <= SplitPrefixBytes || cut % 1009 == 0);

    private static void AssertDecodes(WireVector vector, ReadOnlySequence<byte> input)
    {
        var framer = new NullTerminatedFramer();

        bool read = framer.TryRead(ref input, out Chunk? chunk);

        Assert.That(read, Is.True);
        ChunkAssert.AreEqual(vector.Expected!, chunk);
        Assert.That(input.Length, Is.Zero, "input fully consumed");
    }

    private static void AssertIncomplete(NullTerminatedFramer framer, ReadOnlySequence<byte> input, string what)
    {
        ReadOnlySequence<byte> original = input;

        bool read = framer.TryRead(ref input, out Chunk? chunk);

        Assert.That(read, Is.False, what);
        Assert.That(chunk, Is.Null, what);
        Assert.That(input.Start, Is.EqualTo(original.Start), what);
        Assert.That(input.Length, Is.EqualTo(original.Length), what);
    }

    /// <summary>A writer that hands out spans of at most a few bytes unless asked for more.</summary>
    private sealed class SmallSpanWriter(int maxSpan) : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _current = [];

        public byte[] Written => [.. _written];

        public void Advance(int count) => _written.AddRange(_current.AsSpan(0, count));

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            _current = new byte[Math.Max(sizeHint, maxSpan)];
            return _current;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;
    }
}
