using System.Text;

namespace PluginIpc.Tests.Host;

/// <summary>What waits for <see cref="Plugin.ReadBridgeAsync"/> is bounded in messages and in chars, the oldest going first.</summary>
public sealed class BridgeQueueTests
{
    [Test, CancelAfter(10_000)]
    public async Task ManyLargeMessages_KeepAtMostTheCharBound_AndTheNewest(CancellationToken cancellationToken)
    {
        await using var plugin = new Plugin(new PluginOptions { ExecutablePath = Processes.TestPlugin.DotnetPath, Name = "p" });
        const int Chars = 1024 * 1024;
        for (int i = 0; i < 40; i++)
        {
            byte[] message = Encoding.UTF8.GetBytes(new string((char)('a' + (i % 26)), Chars));
            plugin.ReceiveBridgeMessage(message);
        }

        Assert.That(plugin.BridgeCharsWaiting, Is.LessThanOrEqualTo(Plugin.BridgeCharCapacity));
        await using IAsyncEnumerator<string> messages = plugin.ReadBridgeAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        var kept = new List<char>();
        for (int i = 0; i < Plugin.BridgeCharCapacity / Chars; i++)
        {
            Assert.That(await messages.MoveNextAsync(), Is.True);
            kept.Add(messages.Current[0]);
        }

        Assert.That(kept[^1], Is.EqualTo((char)('a' + (39 % 26))), "the newest is kept");
        Assert.That(kept[0], Is.EqualTo((char)('a' + (24 % 26))), "the oldest 24 went");
        Assert.That(plugin.BridgeCharsWaiting, Is.Zero);
    }

    [Test]
    public async Task OneMessageOverTheCharBound_StillArrives()
    {
        await using var plugin = new Plugin(new PluginOptions { ExecutablePath = Processes.TestPlugin.DotnetPath, Name = "p" });

        plugin.ReceiveBridgeMessage(Encoding.UTF8.GetBytes("small"));
        plugin.ReceiveBridgeMessage(new byte[Plugin.BridgeCharCapacity + 1]);

        Assert.That(plugin.BridgeCharsWaiting, Is.EqualTo(Plugin.BridgeCharCapacity + 1), "only the newest, larger than the bound alone");
    }

    [Test]
    public async Task MoreMessagesThanTheCountBound_DropTheOldest()
    {
        await using var plugin = new Plugin(new PluginOptions { ExecutablePath = Processes.TestPlugin.DotnetPath, Name = "p" });
        for (int i = 0; i < Plugin.BridgeCapacity + 5; i++)
        {
            plugin.ReceiveBridgeMessage(Encoding.UTF8.GetBytes(i.ToString(System.Globalization.CultureInfo.InvariantCulture)));
        }

        using var cancel = new CancellationTokenSource(TimeSpan.FromSeconds(10));
        await using IAsyncEnumerator<string> messages = plugin.ReadBridgeAsync(cancel.Token).GetAsyncEnumerator(cancel.Token);
        Assert.That(await messages.MoveNextAsync(), Is.True);
        Assert.That(messages.Current, Is.EqualTo("5"));
        Assert.That(plugin.BridgeCharsWaiting, Is.EqualTo(Enumerable.Range(6, Plugin.BridgeCapacity - 1).Sum(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture).Length)));
    }
}
