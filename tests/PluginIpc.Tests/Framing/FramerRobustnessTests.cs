using System.Buffers;
using System.Buffers.Binary;
using System.Text;

namespace PluginIpc.Tests.Framing;

/// <summary>Randomized round trips and hostile input, run against every framer.</summary>
/// <remarks>Every test uses a fixed seed, printed to the test output and in failure messages, so a failure can be replayed.</remarks>
[TestFixtureSource(nameof(Framers))]
public sealed class FramerRobustnessTests(IChunkFramer framer)
{
    private const int MiB = 1024 * 1024;
    private const long AllocationBudget = 64 * 1024;

    private static readonly string[] s_cmdPieces =
    [
        "echo", "cmd.ping", "GetMetadata", "/", ".", "a", "Z9", "ü", "ñ", "é", "命令", "日本",
        "\U0001F600", // 😀, a surrogate pair in UTF-16
        "\U0001D11E", // 𝄞, a surrogate pair in UTF-16
        "\u0000",
    ];

    private static IEnumerable<TestFixtureData> Framers()
    {
        yield return new TestFixtureData(new NullTerminatedFramer()).SetArgDisplayNames("text");
        yield return new TestFixtureData(new MessagePackFramer()).SetArgDisplayNames("msgpack");
    }

    private bool CarriesHeaders => framer.Name == "msgpack";

    [Test]
    public void TryRead_RandomChunksSplitAtRandomPoints_ReadsEveryChunkInOrder()
    {
        (Random random, string seed) = NewRandom(1001);
        List<Chunk> chunks = RandomChunks(random, count: 40, largeCount: 3);
        (byte[] stream, _) = Encode(chunks);

        for (int round = 0; round < 6; round++)
        {
            int cutCount = random.Next(1, round == 0 ? 2 : 200);
            int[] cuts = Enumerable.Range(0, cutCount).Select(_ => random.Next(1, stream.Length)).ToArray();
            ReadOnlySequence<byte> input = Segments.Split(stream, cuts);

            ReadAndCompare(chunks, input, $"{seed}, round {round}, {cutCount} cuts");
        }
    }

    [Test]
    public void TryRead_SmallRandomChunksOneBytePerSegment_ReadsEveryChunkInOrder()
    {
        (Random random, string seed) = NewRandom(1002);
        List<Chunk> chunks = Enumerable.Range(0, 6).Select(_ => RandomChunk(random, maxBuffer: 64)).ToList();
        (byte[] stream, _) = Encode(chunks);

        ReadAndCompare(chunks, Segments.OneBytePerSegment(stream), $"{seed}, one byte per segment");
    }

    [Test]
    public void TryRead_RandomChunksArrivingInRandomSteps_WaitsUntilEachChunkIsWhole()
    {
        (Random random, string seed) = NewRandom(1003);
        List<Chunk> chunks = RandomChunks(random, count: 30, largeCount: 2);
        (byte[] stream, int[] lengths) = Encode(chunks);

        int start = 0;
        int available = 0;
        for (int i = 0; i < chunks.Count; i++)
        {
            int end = start + lengths[i];
            int maxStep = Math.Max(2, lengths[i] / 6);
            while (true)
            {
                available = Math.Min(stream.Length, available + random.Next(1, maxStep));
                ReadOnlyMemory<byte> received = stream.AsMemory(start, available - start);
                // Half the time contiguous (the framers' fast path), half the time split in two.
                ReadOnlySequence<byte> input = received.Length > 1 && random.Next(2) == 0
                    ? Segments.Split(received, [random.Next(1, received.Length)])
                    : new ReadOnlySequence<byte>(received);
                ReadOnlySequence<byte> original = input;
                string context = $"{seed}, chunk {i} ({lengths[i]} bytes), {available - start} bytes received";

                bool read = framer.TryRead(ref input, out Chunk? chunk);

                if (available < end)
                {
                    Assert.That(read, Is.False, context);
                    Assert.That(chunk, Is.Null, context);
                    Assert.That(input.Start, Is.EqualTo(original.Start), context);
                    Assert.That(input.Length, Is.EqualTo(original.Length), context);
                    continue;
                }

                Assert.That(read, Is.True, context);
                Assert.That(original.Length - input.Length, Is.EqualTo(lengths[i]), context);
                ChunkAssert.AreEqual(Expected(chunks[i]), chunk);
                break;
            }

            start = end;
        }
    }

    [Test]
    public void TryRead_RandomBytes_OnlyProtocolExceptionAndAlwaysTerminates()
    {
        (Random random, string seed) = NewRandom(2001);
        for (int i = 0; i < 10_000; i++)
        {
            byte[] bytes = new byte[random.Next(0, 48)];
            for (int j = 0; j < bytes.Length; j++)
            {
                bytes[j] = RandomByte(random);
            }

            ReadAll(bytes, random, $"{seed}, input {i}");
        }
    }

    [Test]
    public void TryRead_MutatedValidEncodings_OnlyProtocolExceptionAndAlwaysTerminates()
    {
        (Random random, string seed) = NewRandom(2002);
        for (int i = 0; i < 5000; i++)
        {
            List<Chunk> chunks = Enumerable.Range(0, random.Next(1, 4)).Select(_ => RandomChunk(random, maxBuffer: 24)).ToList();
            List<byte> bytes = [.. Encode(chunks).Stream];
            int mutations = random.Next(1, 4);
            for (int m = 0; m < mutations && bytes.Count > 0; m++)
            {
                int at = random.Next(bytes.Count);
                switch (random.Next(4))
                {
                    case 0:
                        bytes[at] ^= (byte)(1 << random.Next(8));
                        break;
                    case 1:
                        bytes.Insert(at, RandomByte(random));
                        break;
                    case 2:
                        bytes.RemoveAt(at);
                        break;
                    default:
                        bytes[at] = RandomByte(random);
                        break;
                }
            }

            ReadAll([.. bytes], random, $"{seed}, input {i}");
        }
    }

    [TestCase("buffer", TestName = "TryRead_DeclaredBufferOfOneGiB_ThrowsWithoutLargeAllocation")]
    [TestCase("cmd", TestName = "TryRead_DeclaredCmdOfOneGiB_ThrowsWithoutLargeAllocation")]
    public void TryRead_DeclaredLengthOverLimit_ThrowsWithoutLargeAllocation(string field)
    {
        byte[] bytes = HeaderDeclaring(field, 1 << 30);
        var warm = new ReadOnlySequence<byte>(bytes);
        Assert.That(() => framer.TryRead(ref warm, out _), Throws.TypeOf<ProtocolException>());
        var input = new ReadOnlySequence<byte>(bytes);
        bool threw = false;

        long before = GC.GetAllocatedBytesForCurrentThread();
        try
        {
            framer.TryRead(ref input, out _);
        }
        catch (ProtocolException)
        {
            threw = true;
        }

        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(threw, Is.True);
        Assert.That(allocated, Is.LessThan(AllocationBudget));
    }

    [Test]
    public void TryRead_DeclaredBufferWithinLimitButMissing_ReturnsFalseWithoutLargeAllocation()
    {
        byte[] bytes = HeaderDeclaring("buffer", 60 * MiB);
        var warm = new ReadOnlySequence<byte>(bytes);
        framer.TryRead(ref warm, out _);
        var input = new ReadOnlySequence<byte>(bytes);

        long before = GC.GetAllocatedBytesForCurrentThread();
        bool read = framer.TryRead(ref input, out Chunk? chunk);
        long allocated = GC.GetAllocatedBytesForCurrentThread() - before;

        Assert.That(read, Is.False);
        Assert.That(chunk, Is.Null);
        Assert.That(input.Length, Is.EqualTo(bytes.Length));
        Assert.That(allocated, Is.LessThan(AllocationBudget));
    }

    [Test]
    public void TryRead_ChunksNearTheLimitsAndMutated_SameOutcomeWholeAsOneBytePerSegment()
    {
        // Whole, a chunk is read on its first segment's span; one byte per segment, it never is. Both must agree exactly:
        // the same chunks, then the same error or the same bytes left waiting.
        (Random random, string seed) = NewRandom(1009);
        IChunkFramer limited = framer.Name == "msgpack"
            ? new MessagePackFramer(new FramerOptions { MaxCmdBytes = 8, MaxChunkBytes = 32 })
            : new NullTerminatedFramer(new FramerOptions { MaxCmdBytes = 8, MaxChunkBytes = 32 });
        int errors = 0;
        for (int round = 0; round < 400; round++)
        {
            var chunks = new List<Chunk>();
            for (int i = random.Next(1, 4); i > 0; i--)
            {
                byte[] buffer = new byte[random.Next(0, 2) == 0 ? random.Next(30, 35) : random.Next(0, 4)];
                random.NextBytes(buffer);
                chunks.Add(new Chunk
                {
                    ThreadId = random.Next(3) == 0 ? ulong.MaxValue : (ulong)random.Next(70_000),
                    Direction = (Direction)random.Next(5),
                    Cmd = new string('c', random.Next(6, 11)),
                    Buffer = buffer,
                    Headers = random.Next(4) == 0 ? new Dictionary<string, string> { ["k"] = "v" } : null,
                });
            }

            byte[] bytes = Encode(chunks).Stream;
            for (int flips = round % 3; flips > 0; flips--)
            {
                bytes[random.Next(bytes.Length)] = (byte)random.Next(256);
            }

            string whole = ReadOutcome(limited, new ReadOnlySequence<byte>(bytes));
            string split = ReadOutcome(limited, Segments.OneBytePerSegment(bytes));
            Assert.That(whole, Is.EqualTo(split), $"{seed}, round {round}: {Convert.ToHexString(bytes)}");
            errors += whole.Contains("ProtocolException", StringComparison.Ordinal) ? 1 : 0;
        }

        Assert.That(errors, Is.InRange(40, 360), "both valid chunks and errors are exercised");
    }

    /// <summary>Reads all it can, and describes each chunk read and how reading stopped.</summary>
    private static string ReadOutcome(IChunkFramer reader, ReadOnlySequence<byte> input)
    {
        var outcome = new StringBuilder();
        try
        {
            while (reader.TryRead(ref input, out Chunk? chunk))
            {
                string headers = chunk!.Headers is null ? "-" : string.Join(",", chunk.Headers.Select(h => $"{h.Key}={h.Value}"));
                outcome.Append($"{chunk.ThreadId}/{chunk.Direction}/{chunk.Cmd}/{Convert.ToHexString(chunk.Buffer.Span)}/{headers}; ");
            }

            outcome.Append($"waits with {input.Length} bytes");
        }
        catch (ProtocolException ex)
        {
            outcome.Append($"ProtocolException: {ex.Message}");
        }

        return outcome.ToString();
    }

    private static (Random Random, string Seed) NewRandom(int seed)
    {
        TestContext.Out.WriteLine($"Random seed: {seed}");
        return (new Random(seed), $"seed {seed}");
    }

    private static byte RandomByte(Random random) =>
        random.Next(4) switch
        {
            0 => (byte)('0' + random.Next(10)),
            1 => 0,
            _ => (byte)random.Next(256),
        };

    private static List<Chunk> RandomChunks(Random random, int count, int largeCount)
    {
        var chunks = new List<Chunk>(count);
        for (int i = 0; i < count; i++)
        {
            chunks.Add(RandomChunk(random, maxBuffer: 512));
        }

        // A few large buffers, one of them exactly 1 MiB, at random places in the stream.
        for (int i = 0; i < largeCount; i++)
        {
            int size = i == 0 ? MiB : random.Next(64 * 1024, MiB);
            chunks.Insert(random.Next(chunks.Count + 1), RandomChunk(random, minBuffer: size, maxBuffer: size));
        }

        return chunks;
    }

    private static Chunk RandomChunk(Random random, int maxBuffer, int minBuffer = 0)
    {
        ulong threadId = random.Next(5) switch
        {
            0 => 0,
            1 => ulong.MaxValue,
            2 => (ulong)random.Next(1000),
            _ => RandomUInt64(random),
        };

        var cmd = new StringBuilder();
        int pieces = random.Next(0, 8);
        for (int i = 0; i < pieces; i++)
        {
            cmd.Append(s_cmdPieces[random.Next(s_cmdPieces.Length)]);
        }

        byte[] buffer = new byte[random.Next(minBuffer, maxBuffer + 1)];
        random.NextBytes(buffer);

        Dictionary<string, string>? headers = null;
        if (random.Next(2) == 0)
        {
            headers = new Dictionary<string, string>
            {
                ["traceparent"] = $"00-{RandomUInt64(random):x16}{RandomUInt64(random):x16}-{RandomUInt64(random):x16}-01",
            };
            if (random.Next(2) == 0)
            {
                headers["x-ünïcødé"] = "命令 \U0001F600";
            }
        }

        return new Chunk
        {
            ThreadId = threadId,
            Direction = (Direction)random.Next(5),
            Cmd = cmd.ToString(),
            Buffer = buffer,
            Headers = headers,
        };
    }

    private static ulong RandomUInt64(Random random)
    {
        Span<byte> bytes = stackalloc byte[8];
        random.NextBytes(bytes);
        return BinaryPrimitives.ReadUInt64LittleEndian(bytes);
    }

    private (byte[] Stream, int[] Lengths) Encode(List<Chunk> chunks)
    {
        var writer = new ArrayBufferWriter<byte>();
        int[] lengths = new int[chunks.Count];
        for (int i = 0; i < chunks.Count; i++)
        {
            int before = writer.WrittenCount;
            framer.Write(chunks[i], writer);
            lengths[i] = writer.WrittenCount - before;
        }

        return (writer.WrittenSpan.ToArray(), lengths);
    }

    private Chunk Expected(Chunk chunk) =>
        CarriesHeaders
            ? chunk
            : new Chunk { ThreadId = chunk.ThreadId, Direction = chunk.Direction, Cmd = chunk.Cmd, Buffer = chunk.Buffer };

    private void ReadAndCompare(List<Chunk> chunks, ReadOnlySequence<byte> input, string context)
    {
        for (int i = 0; i < chunks.Count; i++)
        {
            long before = input.Length;
            Assert.That(framer.TryRead(ref input, out Chunk? chunk), Is.True, $"{context}: chunk {i}");
            Assert.That(input.Length, Is.LessThan(before), $"{context}: chunk {i}");
            ChunkAssert.AreEqual(Expected(chunks[i]), chunk);
        }

        Assert.That(framer.TryRead(ref input, out Chunk? extra), Is.False, $"{context}: after the last chunk");
        Assert.That(extra, Is.Null, context);
        Assert.That(input.Length, Is.Zero, context);
    }

    /// <summary>Runs the read loop a channel runs; only a protocol error may stop it, and it must stop.</summary>
    private void ReadAll(byte[] bytes, Random random, string context)
    {
        ReadOnlySequence<byte> input = bytes.Length > 1 && random.Next(2) == 0
            ? Segments.Split(bytes, [random.Next(1, bytes.Length), random.Next(1, bytes.Length)])
            : new ReadOnlySequence<byte>(bytes);
        int reads = 0;
        try
        {
            while (framer.TryRead(ref input, out Chunk? chunk))
            {
                reads++;
                Assert.That(chunk, Is.Not.Null, context);
                Assert.That(reads, Is.LessThanOrEqualTo(bytes.Length), $"{context}: a read consumed nothing ({Convert.ToHexString(bytes)})");
            }
        }
        catch (ProtocolException)
        {
            // The expected outcome for most inputs.
        }
        catch (Exception exception) when (exception is not AssertionException)
        {
            Assert.Fail($"{context}: {exception.GetType().Name} instead of ProtocolException for {Convert.ToHexString(bytes)}: {exception}");
        }
    }

    /// <summary>A chunk's start that declares a cmd or buffer of <paramref name="length"/> bytes, with nothing after it.</summary>
    private byte[] HeaderDeclaring(string field, int length)
    {
        var bytes = new List<byte>();
        if (CarriesHeaders)
        {
            // fixarray(4), 7, 2, then str32 or fixstr "echo" + bin32.
            bytes.AddRange([0x94, 0x07, 0x02]);
            if (field == "cmd")
            {
                bytes.Add(0xDB);
            }
            else
            {
                bytes.AddRange([0xA4, .. "echo"u8, 0xC6]);
            }

            byte[] big = new byte[4];
            BinaryPrimitives.WriteInt32BigEndian(big, length);
            bytes.AddRange(big);
        }
        else
        {
            bytes.AddRange("7\u00002\u0000"u8);
            if (field != "cmd")
            {
                bytes.AddRange("4\u0000echo"u8);
            }

            bytes.AddRange(Encoding.ASCII.GetBytes($"{length}\u0000"));
        }

        return [.. bytes];
    }
}
