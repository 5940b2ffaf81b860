using System.Runtime.InteropServices;

namespace PluginIpc.Tests.Serialization;

/// <summary>
/// Typed requests and answers given to a peer from outside the library are arrays it may keep: only the library's own
/// channels get pooled bodies, which they hand back once framed.
/// </summary>
[TestFixture]
public sealed class ForeignPeerBodyTests
{
    [Test, CancelAfter(10_000)]
    public async Task Handle_OnAPeerFromOutsideTheLibrary_AnswersWithAnArrayOfItsOwn(CancellationToken cancellationToken)
    {
        var peer = new RecordingPeer();
        peer.Handle<Point, Point>("move", (point, _) => ValueTask.FromResult(point with { X = point.X + 1 }));
        var request = new Chunk { Direction = Direction.Request, Cmd = "move", Buffer = MessagePack.MessagePackSerializer.Serialize(new Point(1, 2), MessagePack.Resolvers.ContractlessStandardResolver.Options, cancellationToken) };

        ReadOnlyMemory<byte> answer = await peer.Handlers["move"](request, peer, cancellationToken);

        Assert.That(MemoryMarshal.TryGetArray(answer, out ArraySegment<byte> _), Is.True, "a pooled body would be handed back by nobody, or reused while the peer still holds it");
        Assert.That(new MessagePackPluginSerializer().Deserialize<Point>(answer), Is.EqualTo(new Point(2, 2)));
    }

    [Test, CancelAfter(10_000)]
    public async Task CallAsync_OnAPeerFromOutsideTheLibrary_SendsAnArrayOfItsOwn(CancellationToken cancellationToken)
    {
        var peer = new RecordingPeer();

        Point answer = await peer.CallAsync<Point, Point>("move", new Point(3, 4), cancellationToken);

        Assert.That(answer, Is.EqualTo(new Point(3, 4)), "the peer echoes");
        Assert.That(MemoryMarshal.TryGetArray(peer.LastRequest!.Buffer, out ArraySegment<byte> _), Is.True);
    }

    /// <summary>A peer of a test's own: it keeps its handlers and the last request, and answers every call with the request's body.</summary>
    private sealed class RecordingPeer : IChunkPeer
    {
        public Dictionary<string, ChunkHandler> Handlers { get; } = [];

        public Chunk? LastRequest { get; private set; }

        public string Name => "recording";

        public TimeSpan DefaultCallTimeout => TimeSpan.FromSeconds(5);

        public Task<Chunk> CallAsync(Chunk request, TimeSpan timeout, CancellationToken cancellationToken = default)
        {
            LastRequest = request;
            return Task.FromResult(new Chunk { Direction = Direction.Response, Cmd = request.Cmd, Buffer = request.Buffer });
        }

        public ValueTask NotifyAsync(Chunk message, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

        public void Handle(string cmd, ChunkHandler handler) => Handlers[cmd] = handler;

        public void HandleFallback(ChunkHandler? handler)
        {
        }
    }
}
