using System.Text;

namespace PluginIpc.Tests.Host;

[Category("Process")]
public sealed class PluginSmokeTests
{
    [TestCase("text", PluginTransport.InheritedPipes)]
    [TestCase("msgpack", PluginTransport.Stdio)]
    [CancelAfter(30_000)]
    public async Task StartAsync_EchoPlugin_HandshakesAndEchoes(string framer, PluginTransport transport, CancellationToken cancellationToken)
    {
        await using var plugin = new Plugin(EchoPluginFixture.Options(framer, transport));
        plugin.Handle("Repeat", (chunk, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(Encoding.UTF8.GetBytes("Response: " + Encoding.UTF8.GetString(chunk.Buffer.Span))));

        await plugin.StartAsync(cancellationToken);

        Assert.That(plugin.State, Is.EqualTo(PluginState.Running));
        Assert.That(plugin.Metadata["name"], Is.EqualTo("EchoPlugin"));
        Assert.That(plugin.Metadata["protocol"], Is.EqualTo("1"));
        Assert.That(await plugin.CallAsync("echo", "hello", cancellationToken), Is.EqualTo("hello"));
        Assert.That(await plugin.CallAsync("callback", "abc", cancellationToken), Is.EqualTo("Response: abc"));
        await plugin.StopAsync(cancellationToken);
        Assert.That(plugin.State, Is.EqualTo(PluginState.Stopped));
        Assert.That(plugin.GetRecentLogs().Select(l => l.Message), Has.Some.Contains("EchoPlugin started"));
    }
}
