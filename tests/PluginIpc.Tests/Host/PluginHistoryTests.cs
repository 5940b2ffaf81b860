using Microsoft.Extensions.Logging;

namespace PluginIpc.Tests.Host;

/// <summary>The bounded log history a host keeps per plugin, and the query over it.</summary>
public sealed class PluginHistoryTests
{
    private static readonly DateTimeOffset T0 = new(2026, 12, 7, 10, 0, 0, TimeSpan.Zero);

    [Test]
    public void TheCountBound_DropsTheOldestEntries()
    {
        var history = new PluginHistory(capacity: 3, byteCapacity: 1 << 20, maxTextLength: 100);
        for (int i = 0; i < 5; i++)
        {
            history.Add(Entry(i, $"m{i}"));
        }

        Assert.That(history.Logs().Select(e => e.Message), Is.EqualTo(new[] { "m2", "m3", "m4" }));
    }

    [Test]
    public void TheByteBound_DropsTheOldestEntries_ButKeepsTheNewest()
    {
        // 1,000 chars is about 2 KB an entry: a 5 KB bound keeps two of them.
        var history = new PluginHistory(capacity: 100, byteCapacity: 5_000, maxTextLength: 10_000);
        for (int i = 0; i < 4; i++)
        {
            history.Add(Entry(i, new string((char)('a' + i), 1000)));
        }

        Assert.That(history.Logs().Select(e => e.Message[0]), Is.EqualTo(new[] { 'c', 'd' }));

        history.Add(Entry(5, new string('z', 9_000)));
        Assert.That(history.Logs().Select(e => e.Message[0]), Is.EqualTo(new[] { 'z' }), "an entry over the bound alone still stays, as the only one");
    }

    [Test]
    public void ALongText_IsCut_AndSaysHowMuch()
    {
        var history = new PluginHistory(capacity: 10, byteCapacity: 1 << 20, maxTextLength: 10);

        history.Add(Entry(0, new string('x', 25)) with { Exception = new string('e', 11) });

        PluginLogEntry kept = history.Logs().Single();
        Assert.That(kept.Message, Is.EqualTo("xxxxxxxxxx [15 more chars cut]"));
        Assert.That(kept.Exception, Is.EqualTo("eeeeeeeeee [1 more chars cut]"));
    }

    [Test]
    public void Query_ReturnsTheNewestMatches_NewestFirst()
    {
        var history = new PluginHistory(capacity: 100, byteCapacity: 1 << 20, maxTextLength: 100);
        history.Add(Entry(0, "disk ok", LogLevel.Information));
        history.Add(Entry(1, "DISK low", LogLevel.Warning));
        history.Add(Entry(2, "cpu hot", LogLevel.Warning));
        history.Add(Entry(3, "disk failed", LogLevel.Error) with { Source = PluginLogSource.StandardError });
        history.Add(Entry(4, "other", LogLevel.Error) with { Exception = "IOException: Disk gone" });

        Assert.That(Messages(history.Query(new PluginLogQuery { Contains = "disk" })), Is.EqualTo(new[] { "other", "disk failed", "DISK low", "disk ok" }), "message or exception, ignoring case");
        Assert.That(Messages(history.Query(new PluginLogQuery { MinimumLevel = LogLevel.Warning, Contains = "disk", MaxEntries = 2 })), Is.EqualTo(new[] { "other", "disk failed" }));
        Assert.That(Messages(history.Query(new PluginLogQuery { Since = T0.AddSeconds(2), MinimumLevel = LogLevel.Warning })), Is.EqualTo(new[] { "other", "disk failed", "cpu hot" }), "since is inclusive");
        Assert.That(Messages(history.Query(new PluginLogQuery { Source = PluginLogSource.StandardError })), Is.EqualTo(new[] { "disk failed" }));
    }

    [Test]
    public void Exits_AreKeptNewestFirst_UpToTheirBound()
    {
        var history = new PluginHistory(capacity: 1, byteCapacity: 1, maxTextLength: 1);
        for (int i = 0; i < PluginHistory.ExitCapacity + 5; i++)
        {
            history.AddExit(new PluginExit(T0.AddSeconds(i), processId: i, exitCode: 1, expected: false, reason: null));
        }

        PluginExit[] exits = history.Exits();
        Assert.That(exits, Has.Length.EqualTo(PluginHistory.ExitCapacity));
        Assert.That(exits[0].ProcessId, Is.EqualTo(PluginHistory.ExitCapacity + 4));
        Assert.That(exits[^1].ProcessId, Is.EqualTo(5));
    }

    [TestCase(0)]
    [TestCase(PluginLogQuery.MaxEntriesLimit + 1)]
    public async Task AQueryForTooFewOrTooManyEntries_IsRefused(int maxEntries)
    {
        await using var plugin = new Plugin(new PluginOptions { ExecutablePath = TestPluginPath(), Name = "p" });

        ArgumentOutOfRangeException? failure = Assert.Throws<ArgumentOutOfRangeException>(() => plugin.QueryLogs(new PluginLogQuery { MaxEntries = maxEntries }));
        Assert.That(failure!.Message, Does.Contain("MaxEntries must be from 1 to 10000"));
    }

    private static string TestPluginPath() => Processes.TestPlugin.DotnetPath;

    private static string[] Messages(IEnumerable<PluginLogEntry> entries) => [.. entries.Select(e => e.Message)];

    private static PluginLogEntry Entry(int second, string message, LogLevel level = LogLevel.Information) =>
        new(T0.AddSeconds(second), PluginLogSource.Log, level, "Test", message, null) { Plugin = "p" };
}
