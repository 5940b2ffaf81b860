using Microsoft.Extensions.Time.Testing;
using PluginIpc.Tests.Channel;

namespace PluginIpc.Tests;

/// <summary>The <c>TimeProvider</c> option of channels, plugins and the plugin side: the system clock by default, never null, and kept by copies.</summary>
public sealed class TimeProviderOptionsTests
{
    [Test]
    public void Defaults_AreTheSystemClock()
    {
        Assert.That(new ChannelOptions().TimeProvider, Is.SameAs(TimeProvider.System));
        Assert.That(new PluginOptions().TimeProvider, Is.SameAs(TimeProvider.System));
        Assert.That(new MainOptions().TimeProvider, Is.SameAs(TimeProvider.System));
    }

    [Test]
    public void Null_IsRejectedWhenTheOptionsAreUsed()
    {
        Assert.That(() => new PluginIpc.Channel(TestPipes.CreatePair().Host, new NullTerminatedFramer(), new ChannelOptions { TimeProvider = null! }), Throws.ArgumentNullException);
        Assert.That(() => new Plugin(new PluginOptions { ExecutablePath = "plugin", TimeProvider = null! }), Throws.ArgumentException.With.Message.Contains("PluginOptions.TimeProvider must not be null"));
        Assert.That(() => new MainOptions { TimeProvider = null! }.Snapshot(), Throws.ArgumentNullException);
    }

    [Test]
    public void MainOptionsSnapshot_KeepsTheClock()
    {
        var clock = new FakeTimeProvider();

        Assert.That(new MainOptions { TimeProvider = clock }.Snapshot().TimeProvider, Is.SameAs(clock));
    }
}
