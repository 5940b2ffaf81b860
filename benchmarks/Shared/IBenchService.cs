using PolyType;
using StreamJsonRpc;

namespace PluginIpc.Benchmarks;

/// <summary>
/// The service of <c>PeerBenchmarks</c>: the StreamJsonRpc peer serves it, the benchmarks call it through StreamJsonRpc's
/// source-generated proxy. Compiled into both (benchmarks/Shared).
/// </summary>
/// <remarks>The attributes are the ones StreamJsonRpc documents for RPC interfaces: a generated proxy, and type shapes for its NerdbankMessagePackFormatter.</remarks>
[JsonRpcContract]
[GenerateShape(IncludeMethods = MethodShapeFlags.PublicInstance)]
internal partial interface IBenchService
{
    /// <summary>Answers with <paramref name="payload"/>.</summary>
    /// <param name="payload">The bytes to echo.</param>
    /// <returns>The same bytes.</returns>
    Task<byte[]> EchoAsync(byte[] payload);

    /// <summary>Answers with <paramref name="point"/> moved by (<paramref name="dx"/>, <paramref name="dy"/>).</summary>
    /// <param name="point">The point to move.</param>
    /// <param name="dx">The horizontal offset.</param>
    /// <param name="dy">The vertical offset.</param>
    /// <returns>The moved point.</returns>
    Task<MovePoint> MoveAsync(MovePoint point, int dx, int dy);
}
