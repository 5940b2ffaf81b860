using System.Buffers;
using PluginIpc.Tests.Vectors;

namespace PluginIpc.Tests.Framing;

/// <summary>Reading a chunk's header before its buffer has arrived, as the read loop does for large buffers.</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class ChunkHeaderReaderTests(string framerName)
{
    private const int BufferLength = 1000;

    private static byte[] Encode(IChunkFramer framer, Chunk chunk)
    {
        var writer = new ArrayBufferWriter<byte>();
        framer.Write(chunk, writer);
        return writer.WrittenSpan.ToArray();
    }

    private static Chunk LargeRequest(IReadOnlyDictionary<string, string>? headers = null) => new()
    {
        ThreadId = 1UL << 40,
        Direction = Direction.Request,
        Cmd = "échó",
        Buffer = Enumerable.Range(0, BufferLength).Select(i => (byte)i).ToArray(),
        Headers = headers,
    };

    private IChunkHeaderReader CreateReader(FramerOptions? options = null) => framerName switch
    {
        "text" => new NullTerminatedFramer(options ?? new FramerOptions()),
        _ => new MessagePackFramer(options ?? new FramerOptions()),
    };

    [TestCase(1)]
    [TestCase(3)]
    [TestCase(1000)]
    public void TryReadHeader_BufferPartlyArrived_ReadsTheFieldsAndStopsAtTheBuffer(int segmentBytes)
    {
        IChunkHeaderReader reader = CreateReader();
        byte[] bytes = Encode((IChunkFramer)reader, LargeRequest());
        int headerLength = bytes.Length - BufferLength;
        byte[] prefix = bytes[..(headerLength + 10)];
        var input = Segments.Split(prefix, Enumerable.Range(1, prefix.Length / segmentBytes).Select(i => i * segmentBytes));

        Assert.That(reader.TryReadHeader(ref input, out ChunkHeader header), Is.True);

        Assert.That(header, Is.EqualTo(new ChunkHeader(1UL << 40, Direction.Request, "échó", BufferLength)));
        Assert.That(input.ToArray(), Is.EqualTo(bytes[headerLength..(headerLength + 10)]));
    }

    [Test]
    public void TryReadHeader_HeaderIncomplete_ReturnsFalseAndLeavesTheInput()
    {
        IChunkHeaderReader reader = CreateReader();
        byte[] bytes = Encode((IChunkFramer)reader, LargeRequest());
        int headerLength = bytes.Length - BufferLength;

        for (int length = 0; length < headerLength; length++)
        {
            var input = new ReadOnlySequence<byte>(bytes, 0, length);
            Assert.That(reader.TryReadHeader(ref input, out _), Is.False, $"prefix of {length} bytes");
            Assert.That(input.Length, Is.EqualTo(length));
        }
    }

    [Test]
    public void TryReadHeader_BufferLengthOverTheLimit_ThrowsBeforeTheBufferArrives()
    {
        byte[] bytes = Encode(Framers.Create(framerName), LargeRequest());
        IChunkHeaderReader reader = CreateReader(new FramerOptions { MaxChunkBytes = BufferLength - 1 });
        var input = new ReadOnlySequence<byte>(bytes, 0, bytes.Length - BufferLength);

        Assert.That(() => reader.TryReadHeader(ref input, out _), Throws.InstanceOf<ProtocolException>().With.Message.Contains("buffer"));
    }

    [Test]
    public void TryReadHeader_EveryValidVector_AgreesWithTryReadOrDeclines()
    {
        IChunkHeaderReader reader = CreateReader();
        int read = 0;
        foreach (WireVector vector in WireVector.Load(framerName, "valid"))
        {
            var input = new ReadOnlySequence<byte>(vector.Bytes);
            if (!reader.TryReadHeader(ref input, out ChunkHeader header))
            {
                // Only a MessagePack chunk whose buffer is nil or followed by headers is declined, and then read whole as before.
                Assert.That(framerName, Is.EqualTo("msgpack"), vector.Name);
                Assert.That(input.Length, Is.EqualTo(vector.Bytes.Length), vector.Name);
                continue;
            }

            Chunk expected = vector.Expected!;
            Assert.That(header, Is.EqualTo(new ChunkHeader(expected.ThreadId, expected.Direction, expected.Cmd, expected.Buffer.Length)), vector.Name);
            Assert.That(input.ToArray(), Is.EqualTo(expected.Buffer.ToArray()), vector.Name);
            read++;
        }

        Assert.That(read, Is.GreaterThan(3), "most vectors have their buffer last");
    }
}
