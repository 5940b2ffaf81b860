using Nerdbank.Streams;

namespace PluginIpc.Tests.Channel;

/// <summary>A channel over one duplex stream each (Nerdbank.Streams' in-memory pair, as a socket or named pipe would be).</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class DuplexStreamTests(string framer)
{
    [Test, CancelAfter(10_000)]
    public async Task CallsBothWays_AndACallback_OverOneDuplexStreamEach(CancellationToken cancellationToken)
    {
        (Stream hostStream, Stream pluginStream) = FullDuplexStream.CreatePair();
        await using var host = new PluginIpc.Channel(hostStream, Framers.Create(framer));
        await using var plugin = new PluginIpc.Channel(pluginStream, Framers.Create(framer));
        host.Handle("name", (_, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>("host"u8.ToArray()));
        plugin.Handle("greet", async (chunk, peer, ct) =>
        {
            string name = await peer.CallAsync("name", string.Empty, ct);
            return System.Text.Encoding.UTF8.GetBytes($"{System.Text.Encoding.UTF8.GetString(chunk.Buffer.Span)}, {name}");
        });
        host.Start();
        plugin.Start();

        Assert.That(await host.CallAsync("greet", "hello", cancellationToken), Is.EqualTo("hello, host"));
        Assert.That(await plugin.CallAsync("name", "?", cancellationToken), Is.EqualTo("host"));

        await host.CloseAsync(cancellationToken);
        await plugin.Completion.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
        Assert.That(plugin.CloseReason, Is.InstanceOf<ChannelClosedException>(), "the plugin's side sees the host close the stream");
    }
}
