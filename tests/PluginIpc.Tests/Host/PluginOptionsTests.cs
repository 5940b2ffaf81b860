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
    public void KillLeftoverProcesses_OffByDefault_AndWhenSet_ReachesTheProcessStartInfo()
    {
        Assert.That(new PluginOptions().KillLeftoverProcesses, Is.False, "a plugin's helpers may be daemons others share");
        var options = new PluginOptions { ExecutablePath = "plugin", KillLeftoverProcesses = true };

        Assert.That(options.Snapshot().ToStartInfo(_ => { }).KillLeftoverProcesses, Is.True);
    }

    [Test]
    public void MaxOutputLineLength_NotPositive_SnapshotThrows([Values(0, -1)] int maxLength)
    {
        var options = new PluginOptions { ExecutablePath = "plugin", MaxOutputLineLength = maxLength };

        Assert.That(options.Snapshot, Throws.ArgumentException.With.Message.Contains($"PluginOptions.MaxOutputLineLength must be positive, not {maxLength}."));
    }

    [Test]
    public void Snapshot_SeveralSettingsInvalid_NamesEachOfThem()
    {
        var options = new PluginOptions { ExecutablePath = "", CallTimeout = TimeSpan.Zero, MaxQueuedBytes = -1, RestartPolicy = new RestartPolicy { MaxRestarts = -2 } };

        Assert.That(
            options.Snapshot,
            Throws.ArgumentException.With.Message.Contains("PluginOptions.ExecutablePath is required")
                .And.Message.Contains("PluginOptions.CallTimeout must be positive")
                .And.Message.Contains("PluginOptions.MaxQueuedBytes must be positive, not -1.")
                .And.Message.Contains("PluginOptions.RestartPolicy.MaxRestarts must be 0 or more, not -2."));
    }

    [Test]
    public void BusyPollTime_OutOfRange_SnapshotThrowsNamingIt([Values(-1, 10_001)] int microseconds)
    {
        var options = new PluginOptions { ExecutablePath = "plugin", BusyPollTime = TimeSpan.FromMicroseconds(microseconds) };

        Assert.That(options.Snapshot, Throws.ArgumentException.With.Message.Contains("PluginOptions.BusyPollTime must be from zero to 10 ms"));
    }

    [Test]
    public void BusyPollTime_Set_ReachesTheChannelOptions()
    {
        PluginOptions options = new PluginOptions { ExecutablePath = "plugin", BusyPollTime = TimeSpan.FromMicroseconds(50) }.Snapshot();

        ChannelOptions channel = ChannelOptions.From(options, "plugin", TimeSpan.FromSeconds(1), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

        Assert.That(channel.BusyPollTime, Is.EqualTo(TimeSpan.FromMicroseconds(50)));
    }

    [Test]
    public void BusyPollTime_OutOfRange_IsRefusedByTheMainAndChannelOptions([Values(-1, 10_001)] int microseconds)
    {
        TimeSpan value = TimeSpan.FromMicroseconds(microseconds);

        Assert.That(() => new MainOptions { BusyPollTime = value }.Snapshot(), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("BusyPollTime"));
        Assert.That(() => new PluginIpc.Channel(new MemoryStream(), new MessagePackFramer(), new ChannelOptions { BusyPollTime = value }), Throws.InstanceOf<ArgumentOutOfRangeException>().With.Message.Contains("BusyPollTime"));
    }

    [Test]
    public void BusyPollTime_OnTheMainOptions_ReachesTheirChannelOptions()
    {
        MainOptions options = new MainOptions { BusyPollTime = TimeSpan.FromMicroseconds(30) }.Snapshot();

        ChannelOptions channel = ChannelOptions.From(options, "plugin", TimeSpan.FromSeconds(1), Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance);

        Assert.That(channel.BusyPollTime, Is.EqualTo(TimeSpan.FromMicroseconds(30)));
    }

    [Test]
    public void Snapshot_RestartDelayLongerThanATimerWaits_IsRefusedNamingIt()
    {
        TimeSpan sixtyDays = TimeSpan.FromDays(60);
        var options = new PluginOptions { ExecutablePath = "plugin", RestartPolicy = new RestartPolicy { InitialDelay = sixtyDays, MaxDelay = sixtyDays } };

        Assert.That(options.Snapshot, Throws.ArgumentException.With.Message.Contains("PluginOptions.RestartPolicy.MaxDelay must be at most"));
    }

    [Test]
    public void Snapshot_RelativePaths_ResolveAgainstTheBaseDirectoryAndTheWorkingDirectory()
    {
        PluginOptions defaults = new PluginOptions { ExecutablePath = "plugins/echo/Echo" }.Snapshot();
        PluginOptions inFolder = new PluginOptions { ExecutablePath = "./Echo", WorkingDirectory = "plugins/echo" }.Snapshot();
        PluginOptions onPath = new PluginOptions { ExecutablePath = "dotnet", WorkingDirectory = "/tmp" }.Snapshot();

        string folder = Path.Combine(AppContext.BaseDirectory, "plugins", "echo");
        Assert.That(defaults.WorkingDirectory, Is.EqualTo(Path.GetFullPath(AppContext.BaseDirectory)), "the working directory defaults to the base directory, not the current one");
        Assert.That(defaults.ExecutablePath, Is.EqualTo(Path.Combine(folder, "Echo")));
        Assert.That(inFolder.WorkingDirectory, Is.EqualTo(folder));
        Assert.That(inFolder.ExecutablePath, Is.EqualTo(Path.Combine(folder, "Echo")), "a relative executable starts at the working directory");
        Assert.That(onPath.ExecutablePath, Is.EqualTo("dotnet"), "a bare name is left for the PATH lookup");
        Assert.That(onPath.WorkingDirectory, Is.EqualTo("/tmp"));
    }

    [Test]
    public void MaxOutputLineLength_NotPositiveInStartInfo_ValidateThrows([Values(0, -1)] int maxLength) =>
        Assert.That(
            () => new PluginProcessStartInfo("plugin") { MaxOutputLineLength = maxLength }.Validate(),
            Throws.InstanceOf<ArgumentOutOfRangeException>());
}
