using PluginIpc.Benchmarks;

namespace PluginIpc.StreamJsonRpcPeer;

/// <summary>What the peer serves: the same answers as EchoPlugin's <c>echo</c> and <c>bench.move</c>.</summary>
internal sealed class BenchService : IBenchService
{
    /// <inheritdoc/>
    public Task<byte[]> EchoAsync(byte[] payload) => Task.FromResult(payload);

    /// <inheritdoc/>
    public Task<MovePoint> MoveAsync(MovePoint point, int dx, int dy) => Task.FromResult(new MovePoint(point.X + dx, point.Y + dy));
}
