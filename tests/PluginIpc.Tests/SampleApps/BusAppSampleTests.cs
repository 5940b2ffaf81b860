using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.SampleApps;

/// <summary>Runs samples/BusApp as its README says (one host, both plugins) and checks that it ends with its success line.</summary>
[Category("Samples")]
public sealed class BusAppSampleTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    [Test]
    public async Task BusApp_OneHost_PluginsExchangeMessages_AllWorked()
    {
        CommandResult run = await SampleRun.RunAsync(SampleRun.Project("BusApp"), [], RunTimeout);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Contain("publishing :orders.created was refused"), "the inventory plugin's publish allow-list: " + run);
        Assert.That(run.Output, Does.Contain("host got shop:inventory.reserved #3 (missed 0) from inventory on this host: order #3, 3 x widget reserved, 3 left"), run.ToString());
        Assert.That(run.Output, Does.Contain("inventory now warns at 3 left"), "the config-changed hook ran: " + run);
        Assert.That(run.Output, Does.Contain("ok: both plugins answered"), "RequestAll: " + run);
        Assert.That(run.Output, Does.Contain("NO_SUBSCRIBERS after"), run.ToString());
        Assert.That(run.Output.TrimEnd(), Does.EndWith("All worked."), run.ToString());
    }

    [Test]
    public async Task BusApp_Redis_WithoutRedisServer_SaysHowToInstallIt_ExitsNonZero()
    {
        // A PATH with no redis-server on it (dotnet is found by its full path, and the app is not built again).
        CommandResult run = await SampleRun.RunAsync(
            SampleRun.Project("BusApp"),
            ["--redis"],
            RunTimeout,
            new Dictionary<string, string> { ["PATH"] = Path.GetDirectoryName(typeof(object).Assembly.Location)! });

        Assert.That(run.ExitCode, Is.EqualTo(3), run.ToString());
        Assert.That(run.Output, Does.Contain("redis-server is not installed: apt-get install redis-server"), run.ToString());
        Assert.That(run.Output, Does.Not.Contain("All worked."), run.ToString());
    }
}
