namespace PluginIpc.Tests.Host;

[TestFixture]
public sealed class PluginOptionsTests
{
    [Test]
    public void MaxOutputLineLength_Default_Is16KiChars() =>
        Assert.That(new PluginOptions().MaxOutputLineLength, Is.EqualTo(16 * 1024));

    [Test]
    public void MaxOutputLineLength_Set_ReachesTheProcessStartInfo()
    {
        var options = new PluginOptions { ExecutablePath = "plugin", MaxOutputLineLength = 123 };

        PluginProcessStartInfo info = options.Snapshot().ToStartInfo(_ => { });

        Assert.That(info.MaxOutputLineLength, Is.EqualTo(123));
    }

    [Test]
    public void MaxOutputLineLength_NotPositive_SnapshotThrows([Values(0, -1)] int maxLength)
    {
        var options = new PluginOptions { ExecutablePath = "plugin", MaxOutputLineLength = maxLength };

        Assert.That(options.Snapshot, Throws.InstanceOf<ArgumentOutOfRangeException>());
    }

    [Test]
    public void MaxOutputLineLength_NotPositiveInStartInfo_ValidateThrows([Values(0, -1)] int maxLength) =>
        Assert.That(
            () => new PluginProcessStartInfo("plugin") { MaxOutputLineLength = maxLength }.Validate(),
            Throws.InstanceOf<ArgumentOutOfRangeException>());
}
