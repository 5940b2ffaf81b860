namespace PluginIpc.Tests.Host;

/// <summary>Large echoes with EchoPlugin, whose echo lends its requests' buffers, called with <see cref="ChunkPeerExtensions.CallPooledAsync(IChunkPeer, string, ReadOnlyMemory{byte}, CancellationToken)"/> over real pipes.</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class PooledEchoProcessTests(string framer)
{
    [Test, CancelAfter(60_000)]
    public async Task CallPooledAsync_64KiBEchoes_AllocateNoArrayPerCallInTheHostOrThePlugin(CancellationToken cancellationToken)
    {
        await using var plugin = new Plugin(EchoPluginFixture.Options(framer, PluginTransport.InheritedPipes));
        await plugin.StartAsync(cancellationToken);
        byte[] payload = new byte[64 * 1024];
        for (int i = 0; i < 50; i++)
        {
            await EchoAsync(plugin, payload, i, cancellationToken); // warm-up: pools fill on both sides
        }

        const int Calls = 100;
        long pluginBefore = await AllocatedInPluginAsync(plugin, cancellationToken);
        long hostBefore = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < Calls; i++)
        {
            await EchoAsync(plugin, payload, i, cancellationToken);
        }

        long hostPerCall = (GC.GetTotalAllocatedBytes(precise: true) - hostBefore) / Calls;
        long pluginPerCall = (await AllocatedInPluginAsync(plugin, cancellationToken) - pluginBefore) / Calls;
        TestContext.Out.WriteLine($"bytes per 64 KiB echo: host {hostPerCall}, plugin {pluginPerCall}");
        Assert.Multiple(() =>
        {
            // Process-wide counts, so a margin for other work; an array per echo would be 64 KiB.
            Assert.That(hostPerCall, Is.LessThan(32 * 1024), "host: the answer comes in a rented array");
            Assert.That(pluginPerCall, Is.LessThan(32 * 1024), "plugin: the request comes in a rented array");
        });
    }

    private static async Task EchoAsync(Plugin plugin, byte[] payload, int mark, CancellationToken cancellationToken)
    {
        payload.AsSpan().Fill((byte)mark);
        using PooledBuffer answer = await plugin.CallPooledAsync("echo", payload, cancellationToken);
        Assert.That(answer.Memory.Length, Is.EqualTo(payload.Length));
        Assert.That(answer.Memory.Span.IndexOfAnyExcept((byte)mark), Is.EqualTo(-1), $"echo {mark} holds another call's bytes");
    }

    private static async Task<long> AllocatedInPluginAsync(Plugin plugin, CancellationToken cancellationToken) =>
        BitConverter.ToInt64((await plugin.CallAsync("bench.allocated", ReadOnlyMemory<byte>.Empty, cancellationToken)).Span);
}
