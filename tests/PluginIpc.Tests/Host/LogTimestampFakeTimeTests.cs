namespace PluginIpc.Tests.Host;

/// <summary>The entries of <see cref="Plugin.GetRecentLogs"/> are stamped with the time of <see cref="PluginOptions.TimeProvider"/>.</summary>
[TestFixture]
[Category("Process")]
public sealed class LogTimestampFakeTimeTests : PluginTestBase
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);

    [Test, CancelAfter(30_000)]
    public async Task LogEntriesAndOutputLines_CarryTheFakeClocksTime(CancellationToken cancellationToken)
    {
        var clock = new FakeClock();
        DateTimeOffset start = clock.GetUtcNow(); // 2000-01-01: far from the real time
        var loggers = new CapturingLoggerFactory();
        PluginOptions options = EchoPluginFixture.Options("text", PluginTransport.InheritedPipes);
        options.PingInterval = Timeout.InfiniteTimeSpan;
        options.TimeProvider = clock;
        options.LoggerFactory = loggers;
        Plugin plugin = CreatePlugin(options);
        await plugin.StartAsync(cancellationToken);
        await loggers.WaitForAsync(e => e.Category == "PluginIpc.Plugins.EchoPlugin" && e.Message.Contains("EchoPlugin started", StringComparison.Ordinal), cancellationToken).WaitAsync(s_timeout, cancellationToken);

        clock.Advance(TimeSpan.FromHours(1));
        await plugin.CallAsync("stdout", "a line on stdout", cancellationToken);
        await loggers.WaitForAsync(e => e.Message == "[stdout] a line on stdout", cancellationToken).WaitAsync(s_timeout, cancellationToken);

        IReadOnlyList<PluginLogEntry> logs = plugin.GetRecentLogs();
        PluginLogEntry started = logs.Single(l => l.Source == PluginLogSource.Log && l.Message.StartsWith("EchoPlugin started", StringComparison.Ordinal));
        PluginLogEntry line = logs.Single(l => l.Source == PluginLogSource.StandardOutput && l.Message == "a line on stdout");
        Assert.That(started.Timestamp, Is.EqualTo(start));
        Assert.That(line.Timestamp, Is.EqualTo(start + TimeSpan.FromHours(1)));
    }
}
