using System.Buffers;

namespace PluginIpc.Tests.Framing;

public sealed class StrictUtf8Tests
{
    [TestCase("text")]
    [TestCase("msgpack")]
    public void Write_CmdWithUnpairedSurrogate_ThrowsAndWritesNothing(string framer)
    {
        var output = new ArrayBufferWriter<byte>();

        Assert.That(
            () => Framers.Create(framer).Write(new Chunk { Direction = Direction.Request, Cmd = "bad\uD800cmd" }, output),
            Throws.ArgumentException.With.Message.Contains("unpaired surrogate"));
        Assert.That(output.WrittenCount, Is.Zero);
    }

    [Test]
    public void Write_HeaderValueWithUnpairedSurrogate_Throws()
    {
        var chunk = new Chunk { Direction = Direction.OneWay, Cmd = "x", Headers = new Dictionary<string, string> { ["k"] = "\uDC00" } };

        Assert.That(() => new MessagePackFramer().Write(chunk, new ArrayBufferWriter<byte>()), Throws.ArgumentException);
    }
}
