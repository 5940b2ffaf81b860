using System.Buffers;
using Microsoft.Extensions.Configuration;

namespace PluginIpc.Tests.Framing;

/// <summary>A framer keeps its own copy of its limits: changing the options afterwards, as a configuration binder can, does not change it.</summary>
public sealed class FramerOptionsTests
{
    [TestCase("text")]
    [TestCase("msgpack")]
    public void Bind_AfterTheFramerIsCreated_DoesNotChangeItsLimits(string framerName)
    {
        var options = new FramerOptions { MaxCmdBytes = 4 };
        IChunkFramer framer = framerName == "text" ? new NullTerminatedFramer(options) : new MessagePackFramer(options);
        var written = new ArrayBufferWriter<byte>();
        framer.Write(new Chunk { ThreadId = 7, Direction = Direction.Request, Cmd = "echo", Buffer = "hi"u8.ToArray() }, written);

        new ConfigurationBuilder().AddInMemoryCollection(new Dictionary<string, string?> { ["MaxCmdBytes"] = "2" }).Build().Bind(options);

        Assert.That(options.MaxCmdBytes, Is.EqualTo(2), "the binder set the init-only property");
        var input = new ReadOnlySequence<byte>(written.WrittenMemory);
        Assert.That(framer.TryRead(ref input, out Chunk? chunk), Is.True, "the 4-byte command is still within the framer's limit");
        Assert.That(chunk!.Cmd, Is.EqualTo("echo"));
    }
}
