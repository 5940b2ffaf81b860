using System.Buffers;
using System.Diagnostics;
using System.Text;
using PluginIpc.Tests.Vectors;

namespace PluginIpc.Tests.Framing;

public sealed class MessagePackFramerTests
{
    private static IEnumerable<TestCaseData> ValidCases() => WireVector.Cases("msgpack", "valid");

    private static IEnumerable<TestCaseData> CanonicalCases() =>
        WireVector.Load("msgpack", "valid").Where(v => v.Canonical).Select(v => new TestCaseData(v).SetArgDisplayNames(v.Name));

    private static IEnumerable<TestCaseData> InvalidCases() => WireVector.Cases("msgpack", "invalid");

    private static IEnumerable<TestCaseData> IncompleteCases() => WireVector.Cases("msgpack", "incomplete");

    [Test]
    public void TryReadHeader_HeadersAfterTheBuffer_DeclinesAndLeavesTheInput()
    {
        var writer = new ArrayBufferWriter<byte>();
        var framer = new MessagePackFramer();
        framer.Write(new Chunk { ThreadId = 3, Direction = Direction.Request, Cmd = "c", Buffer = new byte[100], Headers = new Dictionary<string, string> { ["traceparent"] = "00-x" } }, writer);
        var input = new ReadOnlySequence<byte>(writer.WrittenMemory[..20]);

        Assert.That(((IChunkHeaderReader)framer).TryReadHeader(ref input, out _), Is.False);
        Assert.That(input.Length, Is.EqualTo(20));
    }

    [Test]
    public void TryReadHeader_NilBuffer_Declines()
    {
        // [1, 2, "a", nil]
        var input = new ReadOnlySequence<byte>(new byte[] { 0x94, 0x01, 0x02, 0xa1, (byte)'a', 0xc0 });

        Assert.That(((IChunkHeaderReader)new MessagePackFramer()).TryReadHeader(ref input, out _), Is.False);
    }

    [TestCaseSource(nameof(ValidCases))]
    public void TryRead_ValidVectorWhole_ReturnsExpectedChunkAndConsumesAll(WireVector vector)
    {
        AssertReadsWhole(new ReadOnlySequence<byte>(vector.Bytes), vector.Expected!);
    }

    [TestCaseSource(nameof(ValidCases))]
    public void TryRead_ValidVectorOneBytePerSegment_ReturnsExpectedChunkAndConsumesAll(WireVector vector)
    {
        AssertReadsWhole(Segments.OneBytePerSegment(vector.Bytes), vector.Expected!);
    }

    [TestCaseSource(nameof(ValidCases))]
    public void TryRead_ValidVectorFollowedByAnother_ReadsBothInOrder(WireVector vector)
    {
        byte[] twice = [.. vector.Bytes, .. vector.Bytes];
        var input = new ReadOnlySequence<byte>(twice);
        var framer = new MessagePackFramer();

        Assert.That(framer.TryRead(ref input, out Chunk? first), Is.True);
        Assert.That(input.Length, Is.EqualTo(vector.Bytes.Length));
        Assert.That(framer.TryRead(ref input, out Chunk? second), Is.True);
        Assert.That(input.Length, Is.Zero);
        ChunkAssert.AreEqual(vector.Expected!, first);
        ChunkAssert.AreEqual(vector.Expected!, second);
    }

    [TestCaseSource(nameof(ValidCases))]
    public void TryRead_EveryProperPrefixOfValidVector_ReturnsFalseAndLeavesInput(WireVector vector)
    {
        // Asserting once at the end keeps the 64 KiB vectors fast.
        var framer = new MessagePackFramer();
        var wrong = new List<int>();
        for (int length = 0; length < vector.Bytes.Length; length++)
        {
            var input = new ReadOnlySequence<byte>(vector.Bytes, 0, length);
            ReadOnlySequence<byte> original = input;
            if (framer.TryRead(ref input, out Chunk? chunk) || chunk is not null || !input.Start.Equals(original.Start) || !input.End.Equals(original.End))
            {
                wrong.Add(length);
            }
        }

        Assert.That(wrong, Is.Empty, "prefix lengths not reported as incomplete");
    }

    [TestCaseSource(nameof(CanonicalCases))]
    public void Write_CanonicalVector_ProducesExactBytes(WireVector vector)
    {
        var output = new ArrayBufferWriter<byte>();

        new MessagePackFramer().Write(vector.Expected!, output);

        Assert.That(Convert.ToHexString(output.WrittenSpan), Is.EqualTo(Convert.ToHexString(vector.Bytes)));
    }

    [TestCaseSource(nameof(ValidCases))]
    public void Write_ReadOfValidVector_RoundTrips(WireVector vector)
    {
        var framer = new MessagePackFramer();
        var input = new ReadOnlySequence<byte>(vector.Bytes);
        Assert.That(framer.TryRead(ref input, out Chunk? chunk), Is.True);
        var output = new ArrayBufferWriter<byte>();

        framer.Write(chunk!, output);

        var again = new ReadOnlySequence<byte>(output.WrittenMemory);
        Assert.That(framer.TryRead(ref again, out Chunk? reread), Is.True);
        ChunkAssert.AreEqual(vector.Expected!, reread);
    }

    [TestCaseSource(nameof(InvalidCases))]
    public void TryRead_InvalidVectorWhole_ThrowsProtocolException(WireVector vector)
    {
        var input = new ReadOnlySequence<byte>(vector.Bytes);
        Assert.Throws<ProtocolException>(() => new MessagePackFramer().TryRead(ref input, out _));
    }

    [TestCaseSource(nameof(InvalidCases))]
    public void TryRead_InvalidVectorOneBytePerSegment_ThrowsProtocolException(WireVector vector)
    {
        ReadOnlySequence<byte> input = Segments.OneBytePerSegment(vector.Bytes);
        Assert.Throws<ProtocolException>(() => new MessagePackFramer().TryRead(ref input, out _));
    }

    [TestCaseSource(nameof(InvalidCases))]
    public void TryRead_InvalidVector_MessageStartsWithFramingAndNamesOffset(WireVector vector)
    {
        var input = new ReadOnlySequence<byte>(vector.Bytes);
        var exception = Assert.Throws<ProtocolException>(() => new MessagePackFramer().TryRead(ref input, out _));
        Assert.That(exception!.Message, Does.Contain("offset"));
    }

    [TestCaseSource(nameof(IncompleteCases))]
    public void TryRead_IncompleteVector_ReturnsFalseAndLeavesInput(WireVector vector)
    {
        var framer = new MessagePackFramer();
        AssertIncomplete(framer, new ReadOnlySequence<byte>(vector.Bytes));
        AssertIncomplete(framer, Segments.OneBytePerSegment(vector.Bytes));
        for (int length = 0; length < vector.Bytes.Length; length++)
        {
            AssertIncomplete(framer, new ReadOnlySequence<byte>(vector.Bytes, 0, length));
            AssertIncomplete(framer, Segments.OneBytePerSegment(vector.Bytes.AsMemory(0, length)));
        }
    }

    [TestCase("94070205c400", "msgpack framing: cmd at offset 3: expected str, found 0x05 (positive fixint).")]
    [TestCase("930702a46563686f", "msgpack framing: chunk at offset 0: expected an array of 4 or 5 elements, found 3.")]
    [TestCase("81a16101", "msgpack framing: chunk at offset 0: expected array, found 0x81 (fixmap).")]
    [TestCase("c1", "msgpack framing: chunk at offset 0: expected array, found 0xc1 (never used).")]
    [TestCase("94ff02a46563686fc400", "msgpack framing: threadId at offset 1: expected uint, found 0xff (negative fixint).")]
    [TestCase("94d0fb02", "msgpack framing: threadId at offset 1: expected uint, found 0xd0 (int 8) with the negative value -5.")]
    [TestCase("940705a46563686fc400", "msgpack framing: direction at offset 2: expected 0 to 4, found 5.")]
    [TestCase("940709a46563686fc400", "msgpack framing: direction at offset 2: expected 0 to 4, found 9.")]
    [TestCase("9407cf0000000100000000", "msgpack framing: direction at offset 2: expected 0 to 4, found 4294967296.")]
    [TestCase("940702a46563686f9101", "msgpack framing: buffer at offset 8: expected bin, found 0x91 (fixarray).")]
    [TestCase("950702a46563686fc40090", "msgpack framing: headers at offset 10: expected map, found 0x90 (fixarray).")]
    [TestCase("950702a46563686fc40081a16105", "msgpack framing: header value at offset 13: expected str, found 0x05 (positive fixint).")]
    [TestCase("950702a46563686fc4008101", "msgpack framing: header key at offset 11: expected str, found 0x01 (positive fixint).")]
    [TestCase("940702a46563686fc6ffffffff", "msgpack framing: buffer at offset 8: length 4294967295 exceeds the limit of 67108864 bytes.")]
    [TestCase("940702db7fffffff", "msgpack framing: cmd at offset 3: length 2147483647 exceeds the limit of 4096 bytes.")]
    [TestCase("940702a2c328c400", "msgpack framing: cmd at offset 3: not valid UTF-8: invalid byte 0xc3 at offset 4.")]
    [TestCase("950702a0c40081a1ffa0", "msgpack framing: header key at offset 7: not valid UTF-8: invalid byte 0xff at offset 8.")]
    [TestCase("940702ca", "msgpack framing: cmd at offset 3: expected str, found 0xca (float 32).")]
    [TestCase("9407c3", "msgpack framing: direction at offset 2: expected uint, found 0xc3 (true).")]
    [TestCase("dd00010000", "msgpack framing: chunk at offset 0: expected an array of 4 or 5 elements, found 65536.")]
    public void TryRead_InvalidInput_MessageNamesFieldAndOffset(string hex, string expected)
    {
        byte[] bytes = Convert.FromHexString(hex);
        foreach (ReadOnlySequence<byte> input in new[] { new ReadOnlySequence<byte>(bytes), Segments.OneBytePerSegment(bytes) })
        {
            ReadOnlySequence<byte> copy = input;
            var exception = Assert.Throws<ProtocolException>(() => new MessagePackFramer().TryRead(ref copy, out _));
            Assert.That(exception!.Message, Is.EqualTo(expected));
        }
    }

    [Test]
    public void TryRead_HeaderCountOverLimit_ThrowsBeforeEntriesArrive()
    {
        // map 16 declaring 1025 entries, and nothing after it.
        ReadOnlySequence<byte> input = new(Convert.FromHexString("950702a0c400de0401"));
        var exception = Assert.Throws<ProtocolException>(() => new MessagePackFramer().TryRead(ref input, out _));
        Assert.That(exception!.Message, Is.EqualTo("msgpack framing: headers at offset 6: 1025 entries exceed the limit of 1024."));
    }

    [Test]
    public void TryRead_HeaderCountAtLimit_Reads()
    {
        var headers = new Dictionary<string, string>();
        for (int i = 0; i < 1024; i++)
        {
            headers["k" + i] = "v" + i;
        }

        var chunk = new Chunk { ThreadId = 1, Direction = Direction.Request, Cmd = "x", Headers = headers };
        var output = new ArrayBufferWriter<byte>();
        new MessagePackFramer().Write(chunk, output);
        var input = new ReadOnlySequence<byte>(output.WrittenMemory);

        Assert.That(new MessagePackFramer().TryRead(ref input, out Chunk? read), Is.True);
        Assert.That(read!.Headers, Is.EqualTo(headers));
    }

    [Test]
    public void TryRead_CmdAtLimit_ReadsAndOneOverThrows()
    {
        var framer = new MessagePackFramer(new FramerOptions { MaxCmdBytes = 5 });
        var atLimit = new ReadOnlySequence<byte>(Convert.FromHexString("940102a568656c6c6fc400"));
        var overLimit = new ReadOnlySequence<byte>(Convert.FromHexString("940102a6"));

        Assert.That(framer.TryRead(ref atLimit, out Chunk? chunk), Is.True);
        Assert.That(chunk!.Cmd, Is.EqualTo("hello"));
        var exception = Assert.Throws<ProtocolException>(() => framer.TryRead(ref overLimit, out _));
        Assert.That(exception!.Message, Is.EqualTo("msgpack framing: cmd at offset 3: length 6 exceeds the limit of 5 bytes."));
    }

    [Test]
    public void TryRead_BufferOverLimit_ThrowsBeforeBytesArrive()
    {
        var framer = new MessagePackFramer(new FramerOptions { MaxChunkBytes = 3 });
        var atLimit = new ReadOnlySequence<byte>(Convert.FromHexString("940102a0c403616263"));
        var overLimit = new ReadOnlySequence<byte>(Convert.FromHexString("940102a0c40a"));

        Assert.That(framer.TryRead(ref atLimit, out Chunk? chunk), Is.True);
        Assert.That(chunk!.Buffer.ToArray(), Is.EqualTo("abc"u8.ToArray()));
        var exception = Assert.Throws<ProtocolException>(() => framer.TryRead(ref overLimit, out _));
        Assert.That(exception!.Message, Does.Contain("buffer at offset 4").And.Contain("exceeds the limit of 3 bytes"));
    }

    [Test]
    public void TryRead_HeaderStringOverCmdLimit_Throws()
    {
        var framer = new MessagePackFramer(new FramerOptions { MaxCmdBytes = 2 });
        var input = new ReadOnlySequence<byte>(Convert.FromHexString("950102a0c40081a161a3"));

        var exception = Assert.Throws<ProtocolException>(() => framer.TryRead(ref input, out _));
        Assert.That(exception!.Message, Is.EqualTo("msgpack framing: header value at offset 9: length 3 exceeds the limit of 2 bytes."));
    }

    [Test]
    public void TryRead_BufferOfValidChunk_DoesNotAliasInput()
    {
        byte[] bytes = Convert.FromHexString("940102a0c403616263");
        var input = new ReadOnlySequence<byte>(bytes);

        new MessagePackFramer().TryRead(ref input, out Chunk? chunk);
        bytes.AsSpan().Clear();

        Assert.That(chunk!.Buffer.ToArray(), Is.EqualTo("abc"u8.ToArray()));
    }

    [Test]
    public void TryRead_DuplicateAndUnknownHeaderKeys_KeepsAllAndLastWins()
    {
        // headers: { "a": "1", "zz": "2", "a": "3" }
        var input = new ReadOnlySequence<byte>(Convert.FromHexString("950102a0c40083a161a131a27a7aa132a161a133"));

        Assert.That(new MessagePackFramer().TryRead(ref input, out Chunk? chunk), Is.True);

        Assert.That(chunk!.Headers, Is.EquivalentTo(new Dictionary<string, string> { ["a"] = "3", ["zz"] = "2" }));
    }

    [Test]
    public void TryRead_NilHeaders_HasNoHeaders()
    {
        var input = new ReadOnlySequence<byte>(Convert.FromHexString("950102a0c400c0"));

        Assert.That(new MessagePackFramer().TryRead(ref input, out Chunk? chunk), Is.True);

        Assert.That(chunk!.Headers, Is.Null);
        Assert.That(input.Length, Is.Zero);
    }

    [Test]
    public void TryRead_WidestEncodings_Reads()
    {
        // array 32 of 5, int 64 threadId, int 16 direction, str 32 cmd, bin 32 buffer, map 32 with str 16 key and str 8 value.
        var input = new ReadOnlySequence<byte>(Convert.FromHexString(
            "dd00000005d3000000000000002ad10002db0000000161c60000000162df00000001da00016bd90176"));

        Assert.That(new MessagePackFramer().TryRead(ref input, out Chunk? chunk), Is.True);

        ChunkAssert.AreEqual(
            new Chunk { ThreadId = 42, Direction = Direction.Request, Cmd = "a", Buffer = "b"u8.ToArray(), Headers = new Dictionary<string, string> { ["k"] = "v" } },
            chunk);
    }

    [Test]
    public void Write_HeadersWithNonAscii_RoundTrip()
    {
        var chunk = new Chunk
        {
            ThreadId = ulong.MaxValue,
            Direction = Direction.Response,
            Cmd = "ünïcødé/命令",
            Buffer = new byte[] { 1, 2, 3 },
            Headers = new Dictionary<string, string>
            {
                ["traceparent"] = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01",
                ["clé"] = "välue 🙂",
                ["命令"] = new string('x', 300),
            },
        };
        var output = new ArrayBufferWriter<byte>();
        var framer = new MessagePackFramer();

        framer.Write(chunk, output);
        ReadOnlySequence<byte> input = Segments.OneBytePerSegment(output.WrittenMemory);

        Assert.That(framer.TryRead(ref input, out Chunk? read), Is.True);
        ChunkAssert.AreEqual(chunk, read);
    }

    [Test]
    public void Write_HeadersInEnumerationOrder_WritesThemInThatOrder()
    {
        var headers = new Dictionary<string, string> { ["b"] = "2", ["a"] = "1" };
        var output = new ArrayBufferWriter<byte>();

        new MessagePackFramer().Write(new Chunk { Cmd = "c", Headers = headers }, output);

        Assert.That(Convert.ToHexString(output.WrittenSpan), Is.EqualTo("950000A163C40082A162A132A161A131"));
    }

    [Test]
    public void Write_EmptyHeaders_WritesFourElements()
    {
        var output = new ArrayBufferWriter<byte>();

        new MessagePackFramer().Write(new Chunk { Cmd = "c", Headers = new Dictionary<string, string>() }, output);

        Assert.That(Convert.ToHexString(output.WrittenSpan), Is.EqualTo("940000A163C400"));
    }

    [Test]
    public void Write_CustomHeadersDictionary_Writes()
    {
        IReadOnlyDictionary<string, string> headers = new SortedList<string, string> { ["x"] = "y" }.AsReadOnly();
        var output = new ArrayBufferWriter<byte>();

        new MessagePackFramer().Write(new Chunk { Cmd = "c", Headers = headers }, output);

        Assert.That(Convert.ToHexString(output.WrittenSpan), Is.EqualTo("950000A163C40081A178A179"));
    }

    [Test]
    public void Write_CmdOverLimit_ThrowsBeforeWriting()
    {
        var framer = new MessagePackFramer(new FramerOptions { MaxCmdBytes = 4 });
        var output = new ArrayBufferWriter<byte>();

        // "ab€" is 2 + 3 = 5 UTF-8 bytes, though only 3 chars.
        var exception = Assert.Throws<ProtocolException>(() => framer.Write(new Chunk { Cmd = "ab€" }, output));

        Assert.That(exception!.Message, Is.EqualTo("msgpack framing: cmd is 5 bytes, over the limit of 4 bytes."));
        Assert.That(output.WrittenCount, Is.Zero);
    }

    [Test]
    public void Write_BufferOverLimit_ThrowsBeforeWriting()
    {
        var framer = new MessagePackFramer(new FramerOptions { MaxChunkBytes = 4 });
        var output = new ArrayBufferWriter<byte>();

        var exception = Assert.Throws<ProtocolException>(() => framer.Write(new Chunk { Cmd = "c", Buffer = new byte[5] }, output));

        Assert.That(exception!.Message, Does.Contain("buffer is 5 bytes"));
        Assert.That(output.WrittenCount, Is.Zero);
    }

    [Test]
    public void Write_HeaderOverCmdLimit_ThrowsBeforeWriting()
    {
        var framer = new MessagePackFramer(new FramerOptions { MaxCmdBytes = 4 });
        var output = new ArrayBufferWriter<byte>();
        var chunk = new Chunk { Cmd = "c", Headers = new Dictionary<string, string> { ["k"] = "12345" } };

        Assert.Throws<ProtocolException>(() => framer.Write(chunk, output));
        Assert.That(output.WrittenCount, Is.Zero);
    }

    [Test]
    public void Write_TooManyHeaders_ThrowsBeforeWriting()
    {
        var headers = new Dictionary<string, string>();
        for (int i = 0; i <= 1024; i++)
        {
            headers["k" + i] = "v";
        }

        var output = new ArrayBufferWriter<byte>();

        Assert.Throws<ProtocolException>(() => new MessagePackFramer().Write(new Chunk { Cmd = "c", Headers = headers }, output));
        Assert.That(output.WrittenCount, Is.Zero);
    }

    [Test]
    public void Write_DirectionOutOfRange_ThrowsArgumentOutOfRange()
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.Throws<ArgumentOutOfRangeException>(() => new MessagePackFramer().Write(new Chunk { Direction = (Direction)5 }, output));
        Assert.That(output.WrittenCount, Is.Zero);
    }

    [Test]
    public void Write_NullArguments_ThrowArgumentNull()
    {
        var framer = new MessagePackFramer();

        Assert.Throws<ArgumentNullException>(() => framer.Write(null!, new ArrayBufferWriter<byte>()));
        Assert.Throws<ArgumentNullException>(() => framer.Write(new Chunk(), null!));
    }

    [Test]
    public void Write_LargeBufferIntoSmallSegments_CopiesInPieces()
    {
        byte[] buffer = new byte[100_000];
        new Random(7).NextBytes(buffer);
        var chunk = new Chunk { ThreadId = 3, Direction = Direction.OneWay, Cmd = new string('c', 70_000), Buffer = buffer };
        var output = new SmallSpanWriter(16);

        new MessagePackFramer(new FramerOptions { MaxCmdBytes = 100_000 }).Write(chunk, output);

        var expected = new ArrayBufferWriter<byte>();
        new MessagePackFramer(new FramerOptions { MaxCmdBytes = 100_000 }).Write(chunk, expected);
        Assert.That(output.ToArray(), Is.EqualTo(expected.WrittenSpan.ToArray()));
        Assert.That(output.LargestSpan, Is.LessThanOrEqualTo(16));
    }

    [Test]
    public void Write_WithoutHeaders_AllocatesNothing()
    {
        var framer = new MessagePackFramer();
        var chunk = new Chunk { ThreadId = 123_456, Direction = Direction.Request, Cmd = "echo", Buffer = new byte[300] };
        var output = new ArrayBufferWriter<byte>(4096);
        framer.Write(chunk, output);
        output.ResetWrittenCount();

        long before = GC.GetAllocatedBytesForCurrentThread();
        framer.Write(chunk, output);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void TryRead_WarmChunk_AllocatesOnlyChunkAndBuffer()
    {
        var framer = new MessagePackFramer();
        byte[] bytes = Convert.FromHexString("940702a46563686fc4026869");
        var input = new ReadOnlySequence<byte>(bytes);
        framer.TryRead(ref input, out _);
        input = new ReadOnlySequence<byte>(bytes);

        long before = GC.GetAllocatedBytesForCurrentThread();
        framer.TryRead(ref input, out Chunk? chunk);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(chunk, Is.Not.Null);
        Assert.That(allocated, Is.LessThanOrEqualTo(64 + 32)); // a Chunk (~56 bytes) and a 2-byte array (~32 bytes)
    }

    [Test]
    public void TryRead_IncompleteChunk_AllocatesNothing()
    {
        var framer = new MessagePackFramer();
        byte[] bytes = Convert.FromHexString("950702a46563686fc402686981a161");
        var input = new ReadOnlySequence<byte>(bytes);
        framer.TryRead(ref input, out _);

        long before = GC.GetAllocatedBytesForCurrentThread();
        framer.TryRead(ref input, out _);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(allocated, Is.Zero);
    }

    [Test]
    public void TryRead_MutatedValidEncodings_OnlyThrowProtocolExceptionAndTerminate()
    {
        var random = new Random(20_260_101);
        var framer = new MessagePackFramer(new FramerOptions { MaxCmdBytes = 64, MaxChunkBytes = 1024 });
        byte[][] seeds = WireVector.Load("msgpack", "valid").Select(v => v.Bytes).Where(b => b.Length < 2048).ToArray();
        var stopwatch = Stopwatch.StartNew();
        int outcomes = 0;
        for (int round = 0; round < 5000; round++)
        {
            // Mostly mutated valid chunks, which get deep into the parser; sometimes plain noise.
            byte[] bytes = round % 10 == 0
                ? RandomBytes(random)
                : Mutate(random, seeds[random.Next(seeds.Length)]);
            ReadOnlySequence<byte> input = random.Next(4) == 0
                ? Segments.Split(bytes, Enumerable.Range(0, 3).Select(_ => random.Next(bytes.Length + 1)))
                : new ReadOnlySequence<byte>(bytes);
            try
            {
                int reads = 0;
                while (framer.TryRead(ref input, out Chunk? chunk))
                {
                    Assert.That(chunk, Is.Not.Null);
                    Assert.That(++reads, Is.LessThanOrEqualTo(bytes.Length));
                }

                Assert.That(input.Length, Is.LessThanOrEqualTo(bytes.Length));
            }
            catch (ProtocolException)
            {
            }

            outcomes++;
        }

        Assert.That(outcomes, Is.EqualTo(5000));
        Assert.That(stopwatch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(3)));
    }

    private static byte[] RandomBytes(Random random)
    {
        byte[] bytes = new byte[random.Next(64)];
        random.NextBytes(bytes);
        return bytes;
    }

    private static byte[] Mutate(Random random, byte[] seed)
    {
        var bytes = new List<byte>(seed);
        int edits = random.Next(1, 4);
        for (int i = 0; i < edits; i++)
        {
            int at = random.Next(bytes.Count + 1);
            switch (random.Next(5))
            {
                case 0 when at < bytes.Count:
                    bytes[at] = (byte)random.Next(256);
                    break;
                case 1 when at < bytes.Count:
                    bytes.RemoveAt(at);
                    break;
                case 2:
                    bytes.Insert(at, (byte)random.Next(256));
                    break;
                case 3 when at < bytes.Count:
                    // A type byte from the interesting ranges: lengths and widths.
                    bytes[at] = (byte)random.Next(0xc0, 0x100);
                    break;
                default:
                    bytes.AddRange(seed.AsSpan(0, random.Next(seed.Length)).ToArray());
                    break;
            }
        }

        return [.. bytes];
    }

    private static void AssertReadsWhole(ReadOnlySequence<byte> input, Chunk expected)
    {
        var framer = new MessagePackFramer();

        Assert.That(framer.TryRead(ref input, out Chunk? chunk), Is.True);

        Assert.That(input.Length, Is.Zero);
        ChunkAssert.AreEqual(expected, chunk);
    }

    private static void AssertIncomplete(MessagePackFramer framer, ReadOnlySequence<byte> input)
    {
        ReadOnlySequence<byte> original = input;

        Assert.That(framer.TryRead(ref input, out Chunk? chunk), Is.False, $"prefix of {original.Length} bytes");

        Assert.That(chunk, Is.Null);
        Assert.That(input.Start, Is.EqualTo(original.Start));
        Assert.That(input.End, Is.EqualTo(original.End));
    }

    /// <summary>A writer that never hands out more than a few bytes at a time, beyond what a size hint demands.</summary>
    private sealed class SmallSpanWriter(int pieceSize) : IBufferWriter<byte>
    {
        private readonly List<byte> _written = [];
        private byte[] _current = [];

        public int LargestSpan { get; private set; }

        public void Advance(int count) => _written.AddRange(_current.AsSpan(0, count).ToArray());

        public Memory<byte> GetMemory(int sizeHint = 0)
        {
            _current = new byte[Math.Max(sizeHint, pieceSize)];
            LargestSpan = Math.Max(LargestSpan, _current.Length);
            return _current;
        }

        public Span<byte> GetSpan(int sizeHint = 0) => GetMemory(sizeHint).Span;

        public byte[] ToArray() => [.. _written];
    }
}
