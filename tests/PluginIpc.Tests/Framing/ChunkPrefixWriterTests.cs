using System.Buffers;

namespace PluginIpc.Tests.Framing;

/// <summary>A chunk's fields up to its buffer, then the buffer, are exactly the chunk as a whole write gives it.</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class ChunkPrefixWriterTests(string framerName)
{
    [TestCase(0)]
    [TestCase(1)]
    [TestCase(31)]
    [TestCase(32)]
    [TestCase(255)]
    [TestCase(256)]
    [TestCase(65_535)]
    [TestCase(65_536)]
    [TestCase(300_000)]
    public void TryWritePrefix_ThenTheBuffer_IsTheWholeWrite(int length)
    {
        IChunkFramer framer = Framers.Create(framerName);
        byte[] body = new byte[length];
        new Random(length).NextBytes(body);
        var chunk = new OutgoingChunk(123_456_789, Direction.Response, "échø", body);
        var whole = new ArrayBufferWriter<byte>();
        ((IOutgoingChunkFramer)framer).Write(chunk, whole);

        var prefix = new ArrayBufferWriter<byte>();
        bool written = ((IChunkPrefixWriter)framer).TryWritePrefix(chunk, prefix);

        Assert.That(written, Is.True);
        Assert.That(prefix.WrittenSpan.ToArray().Concat(body).ToArray(), Is.EqualTo(whole.WrittenSpan.ToArray()));
    }

    [Test]
    public void TryWritePrefix_TooLongABuffer_FailsAsTheWholeWriteDoes()
    {
        var options = new FramerOptions { MaxChunkBytes = 1000 };
        IChunkFramer framer = framerName == "text" ? new NullTerminatedFramer(options) : new MessagePackFramer(options);
        var chunk = new OutgoingChunk(1, Direction.Request, "x", new byte[1001]);
        var prefix = new ArrayBufferWriter<byte>();

        Assert.That(() => ((IChunkPrefixWriter)framer).TryWritePrefix(chunk, prefix), Throws.InstanceOf<ProtocolException>());
        Assert.That(prefix.WrittenCount, Is.Zero);
    }

    [Test]
    public void TryWritePrefix_WithHeaders_WritesNothingWhereTheyFollowTheBuffer()
    {
        IChunkFramer framer = Framers.Create(framerName);
        var chunk = new OutgoingChunk(1, Direction.Request, "x", new byte[40_000], new Dictionary<string, string> { ["traceparent"] = "00-abc" });
        var prefix = new ArrayBufferWriter<byte>();

        bool written = ((IChunkPrefixWriter)framer).TryWritePrefix(chunk, prefix);

        // The text framing drops headers, so its buffer always comes last; a MessagePack chunk's headers come after it.
        Assert.That(written, Is.EqualTo(framerName == "text"));
        Assert.That(prefix.WrittenCount > 0, Is.EqualTo(written));
    }
}
