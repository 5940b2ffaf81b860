namespace PluginIpc.Benchmarks;

/// <summary>What the peer serves, and the in-memory contract benchmark: the same answers as EchoPlugin's <c>echo</c> and <c>bench.move</c>.</summary>
internal sealed class BenchService : IBenchService
{
    /// <inheritdoc/>
    public Task<byte[]> EchoAsync(byte[] payload) => Task.FromResult(payload);

    /// <inheritdoc/>
    public Task<MovePoint> MoveAsync(MovePoint point, int dx, int dy) => Task.FromResult(new MovePoint(point.X + dx, point.Y + dy));
}
