namespace PluginIpc.Tests.Serialization;

/// <summary>
/// A peer that sends nothing and whose calls never get an answer, and that allocates nothing itself: what the typed layer
/// allocates per call can be measured alone, without the channel's write path, whose allocations vary with timing.
/// </summary>
internal sealed class PendingPeer(IPluginSerializer? serializer) : IChunkPeer
{
    private static readonly Task<Chunk> s_never = new TaskCompletionSource<Chunk>().Task;

    public string Name => "pending";

    public TimeSpan DefaultCallTimeout => Timeout.InfiniteTimeSpan;

    public IPluginSerializer? Serializer => serializer;

    public Task<Chunk> CallAsync(Chunk request, TimeSpan timeout, CancellationToken cancellationToken = default) => s_never;

    public ValueTask NotifyAsync(Chunk message, CancellationToken cancellationToken = default) => ValueTask.CompletedTask;

    public void Handle(string cmd, ChunkHandler handler)
    {
    }

    public void HandleFallback(ChunkHandler? handler)
    {
    }
}
