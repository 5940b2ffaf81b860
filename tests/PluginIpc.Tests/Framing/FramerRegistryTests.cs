using PluginIpc.Tests.Host;

namespace PluginIpc.Tests.Framing;

/// <summary>Framings are named once and created in one place, with the limits of the options that name them.</summary>
[TestFixture]
public sealed class FramerRegistryTests : PluginTestBase
{
    [Test]
    public void Create_EachName_GivesThatFramingWithTheLimits()
    {
        foreach (string name in Framers.Names)
        {
            IChunkFramer framer = FramerRegistry.Create(name, new FramerOptions { MaxCmdBytes = 3 });
            Assert.That(framer.Name, Is.EqualTo(name));
            Assert.That(() => framer.Write(new Chunk { Cmd = "four" }, new System.Buffers.ArrayBufferWriter<byte>()), Throws.InstanceOf<ProtocolException>(), name);
        }
    }

    [Test]
    public void UnknownName_IsRefusedEverywhere_NamingTheKnownOnes()
    {
        Assert.That(FramerRegistry.IsKnown("json"), Is.False);
        Assert.That(() => FramerRegistry.Create("json"), Throws.ArgumentException.With.Message.Contains("'text' or 'msgpack'"));
        Assert.That(() => new Plugin(new PluginOptions { ExecutablePath = "/bin/true", Framer = "json" }), Throws.ArgumentException.With.Message.Contains("'text' or 'msgpack'"));
    }

    [Test, CancelAfter(30_000)]
    [Category("Process")]
    public async Task PluginOptionsFramerOptions_LimitWhatThePluginIsSent(CancellationToken cancellationToken)
    {
        PluginOptions options = EchoPluginFixture.Options("msgpack", PluginTransport.InheritedPipes);
        options.FramerOptions = new FramerOptions { MaxChunkBytes = 1024 };
        await using Plugin plugin = CreatePlugin(options);
        await plugin.StartAsync(cancellationToken);

        Assert.That((await plugin.CallAsync("echo", new byte[1024], cancellationToken)).Length, Is.EqualTo(1024));
        ProtocolException error = await Failure.ThrowsAsync<ProtocolException>(() => plugin.CallAsync("echo", new byte[1025], cancellationToken));
        Assert.That(error.Message, Does.Contain("1024"));
    }
}
