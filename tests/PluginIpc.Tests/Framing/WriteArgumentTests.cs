using System.Buffers;

namespace PluginIpc.Tests.Framing;

/// <summary>Both framers treat a chunk they cannot write the same way: they throw before writing anything.</summary>
public sealed class WriteArgumentTests
{
    [TestCase("text")]
    [TestCase("msgpack")]
    public void Write_NullCmd_ThrowsArgumentNullAndWritesNothing(string framerName)
    {
        IChunkFramer framer = Framers.Create(framerName);
        var output = new ArrayBufferWriter<byte>();

        var exception = Assert.Throws<ArgumentNullException>(() => framer.Write(new Chunk { Direction = Direction.Request, Cmd = null! }, output));

        Assert.That(exception!.ParamName, Is.EqualTo("chunk.Cmd"));
        Assert.That(output.WrittenCount, Is.Zero);
    }

    [TestCase("text")]
    [TestCase("msgpack")]
    public void WriteOutgoing_NullCmd_ThrowsArgumentNullAndWritesNothing(string framerName)
    {
        var framer = (IOutgoingChunkFramer)Framers.Create(framerName);
        var output = new ArrayBufferWriter<byte>();

        var exception = Assert.Throws<ArgumentNullException>(() => framer.Write(new OutgoingChunk(1, Direction.OneWay, null!), output));

        Assert.That(exception!.ParamName, Is.EqualTo("chunk.Cmd"));
        Assert.That(output.WrittenCount, Is.Zero);
    }
}
