namespace PluginIpc.Tests.Processes;

[TestFixture]
public sealed class OutputTailTests
{
    private static readonly string[] s_newest = ["line 2", "line 3", "line 4"];
    private static readonly string[] s_newestStderr = ["line 2", "line 4"];

    [Test]
    public void Snapshot_MoreLinesThanCapacity_KeepsNewestInOrder()
    {
        var tail = new OutputTail(3);
        for (int i = 0; i < 5; i++)
        {
            tail.Add(new PluginOutputLine(i % 2 == 0 ? PluginOutputSource.StandardError : PluginOutputSource.StandardOutput, $"line {i}"));
        }

        Assert.That(tail.Snapshot().Select(l => l.Text), Is.EqualTo(s_newest));
        Assert.That(tail.Snapshot(PluginOutputSource.StandardError).Select(l => l.Text), Is.EqualTo(s_newestStderr));
    }

    [Test]
    public void Snapshot_Empty_ReturnsNothing() => Assert.That(new OutputTail(2).Snapshot(), Is.Empty);
}
