using PluginIpc.Tests.Channel;
using PluginIpc.Tests.Host;

namespace PluginIpc.Tests.Contract;

/// <summary>
/// One call contract for <see cref="PluginIpc.Channel"/>, <see cref="Plugin"/> and <see cref="Main"/>: the conveniences are
/// written once over <see cref="IChunkPeer"/>, handlers receive the peer that owns them, and the commands a peer answers
/// itself cannot be taken.
/// </summary>
[TestFixture]
public sealed class CallContractTests : PluginTestBase
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Test, CancelAfter(10_000)]
    public async Task Conveniences_OnAPeerWithOnlyTheContract_GoThroughItsChunkCalls(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create("text", Transports.Memory);
        PluginIpc.Channel host = pair.Host, plugin = pair.Plugin;
        {
            plugin.Handle("echo", (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
            var notified = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
            plugin.Handle("note", (chunk, _, _) =>
            {
                notified.TrySetResult(System.Text.Encoding.UTF8.GetString(chunk.Buffer.Span));
                return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
            });
            plugin.Start();
            var peer = new ContractOnly(host);

            Assert.That(await peer.CallAsync("echo", "text", cancellationToken), Is.EqualTo("text"));
            Assert.That((await peer.CallAsync("echo", new byte[] { 1, 2 }, TimeSpan.FromSeconds(5), cancellationToken)).ToArray(), Is.EqualTo(new byte[] { 1, 2 }));
            Assert.That(await peer.PingAsync(cancellationToken), Is.GreaterThan(TimeSpan.Zero));
            await peer.NotifyAsync("note", "hi", cancellationToken);
            Assert.That(await notified.Task.WaitAsync(s_timeout, cancellationToken), Is.EqualTo("hi"));
            Assert.That(peer.ChunkCalls, Is.EqualTo(3), "each call went through the contract's CallAsync(Chunk, TimeSpan, CancellationToken)");
            Assert.That(peer.ChunkNotifications, Is.EqualTo(1));
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task ChannelHandler_ReceivesTheChannel(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = ChannelPair.Create("text", Transports.Memory);
        PluginIpc.Channel host = pair.Host, plugin = pair.Plugin;
        {
            var seen = new TaskCompletionSource<IChunkPeer>(TaskCreationOptions.RunContinuationsAsynchronously);
            plugin.Handle("who", (_, peer, _) =>
            {
                seen.TrySetResult(peer);
                return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
            });
            plugin.Start();

            await host.CallAsync("who", ReadOnlyMemory<byte>.Empty, cancellationToken);

            Assert.That(await seen.Task.WaitAsync(s_timeout, cancellationToken), Is.SameAs(plugin));
        }
    }

    [Test, CancelAfter(30_000)]
    [Category("Process")]
    public async Task PluginHandler_RegisteredAfterStart_ReachesTheProcess_AndReceivesThePlugin(CancellationToken cancellationToken)
    {
        await using Plugin plugin = CreatePlugin(EchoPluginFixture.Options("text", PluginTransport.InheritedPipes));
        await plugin.StartAsync(cancellationToken);
        IChunkPeer? seen = null;
        plugin.Handle("Repeat", (chunk, peer, _) =>
        {
            seen = peer;
            return ValueTask.FromResult(chunk.Buffer);
        });

        Assert.That(await plugin.CallAsync("callback", "back", cancellationToken), Is.EqualTo("back"));
        Assert.That(seen, Is.SameAs(plugin), "the handler gets the Plugin, which outlives its processes, not the channel of one process");
    }

    [Test]
    public void Handle_ACommandThePeerAnswersItself_IsRefused()
    {
        var plugin = new Plugin(new PluginOptions { ExecutablePath = "/bin/true" });
        ArgumentException? onPlugin = Assert.Throws<ArgumentException>(() => plugin.Handle(Commands.Log, (chunk, _, _) => ValueTask.FromResult(chunk.Buffer)));
        Assert.That(onPlugin!.Message, Does.Contain("'cmd.log'"));

        var options = new MainOptions { Name = "refuses" };
        Assert.That(() => options.Handle(Commands.GetMetadata, (chunk, _, _) => ValueTask.FromResult(chunk.Buffer)), Throws.ArgumentException.With.Message.Contains("'GetMetadata'"));
        Assert.That(() => options.Handle(Commands.Stop, (chunk, _, _) => ValueTask.FromResult(chunk.Buffer)), Throws.ArgumentException);

        var channel = new PluginIpc.Channel(new MemoryStream(), new NullTerminatedFramer());
        Assert.That(() => channel.Handle(Commands.Log, (chunk, _, _) => ValueTask.FromResult(chunk.Buffer)), Throws.Nothing, "a bare channel may play either side");
    }

    /// <summary>A peer that implements the contract and nothing else, by passing its chunk calls to a channel.</summary>
    private sealed class ContractOnly(IChunkPeer inner) : IChunkPeer
    {
        public int ChunkCalls;
        public int ChunkNotifications;

        public string Name => "contract-only";

        public TimeSpan DefaultCallTimeout => TimeSpan.FromSeconds(5);

        public Task<Chunk> CallAsync(Chunk request, TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref ChunkCalls);
            return inner.CallAsync(request, timeout, cancellationToken);
        }

        public ValueTask NotifyAsync(Chunk message, CancellationToken cancellationToken = default)
        {
            Interlocked.Increment(ref ChunkNotifications);
            return inner.NotifyAsync(message, cancellationToken);
        }

        public void Handle(string cmd, ChunkHandler handler) => inner.Handle(cmd, handler);

        public void HandleFallback(ChunkHandler? handler) => inner.HandleFallback(handler);
    }
}
