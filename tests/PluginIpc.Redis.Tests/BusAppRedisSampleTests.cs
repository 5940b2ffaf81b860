using System.Net;
using System.Net.Sockets;
using System.Text.RegularExpressions;
using PluginIpc.Tests.Processes;
using PluginIpc.Tests.SampleApps;

namespace PluginIpc.Redis.Tests;

/// <summary>
/// Runs samples/BusApp with <c>--redis</c> as its README says: two host processes share the bus through Redis, messages cross
/// both ways, and it ends with its success line. Skipped without redis-server (failed instead when CI is "true").
/// </summary>
[Category("Samples")]
public sealed partial class BusAppRedisSampleTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(180);

    [Test]
    public async Task BusApp_Redis_StartsItsOwnRedis_TwoHostsExchangeMessages_AllWorked_StopsWhatItStarted()
    {
        RequireRedisServer();

        CommandResult run = await SampleRun.RunAsync(SampleRun.Project("BusApp"), ["--redis"], RunTimeout);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        AssertTwoHostsWorked(run);
        Match started = StartedRedis().Match(run.Output);
        Assert.That(started.Success, Is.True, "it says which redis-server it started: " + run);
        Assert.That(await AcceptsConnectionsAsync(int.Parse(started.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture)), Is.False, "the redis-server it started is stopped: " + run);
    }

    [Test]
    public async Task BusApp_Redis_GivenAnAddress_UsesThatRedis_AllWorked()
    {
        await using RedisServer redis = await RedisServer.StartAsync();

        CommandResult run = await SampleRun.RunAsync(SampleRun.Project("BusApp"), ["--redis", redis.Configuration], RunTimeout);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        AssertTwoHostsWorked(run);
        Assert.That(run.Output, Does.Not.Contain("Started redis-server"), run.ToString());
    }

    private static void AssertTwoHostsWorked(CommandResult run)
    {
        Assert.That(run.Output, Does.Contain("[peer host] peer ready"), "the second host process ran: " + run);
        Assert.That(run.Output, Does.Contain("linked through Redis"), run.ToString());
        Assert.That(run.Output, Does.Match(@"host got shop:inventory\.reserved #3 \(missed 0\) from inventory on the peer host [0-9a-f]{8}: order #3"), "orders went to the peer host and reservations came back: " + run);
        Assert.That(run.Output, Does.Contain("inventory now warns at 3 left"), "sys.config.changed reached the peer host's plugin: " + run);
        Assert.That(run.Output, Does.Contain("ok: only this host's plugin answered"), run.ToString());
        Assert.That(run.Output, Does.Contain("All worked."), run.ToString());
    }

    /// <summary>Ignores the test without redis-server on the PATH, or fails it when CI is "true" (as <see cref="RedisServer"/> does).</summary>
    private static void RequireRedisServer()
    {
        bool installed = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Any(folder => File.Exists(Path.Combine(folder, "redis-server")));
        if (installed)
        {
            return;
        }

        const string Message = "redis-server is not installed: apt-get install redis-server";
        if (Environment.GetEnvironmentVariable("CI") == "true")
        {
            Assert.Fail(Message + " (CI is true, so the Redis tests fail rather than skip)");
        }

        Assert.Ignore(Message);
    }

    private static async Task<bool> AcceptsConnectionsAsync(int port)
    {
        using var client = new TcpClient();
        try
        {
            await client.ConnectAsync(IPAddress.Loopback, port).WaitAsync(TimeSpan.FromSeconds(10));
            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }

    [GeneratedRegex(@"Started redis-server at 127\.0\.0\.1:(\d+)")]
    private static partial Regex StartedRedis();
}
