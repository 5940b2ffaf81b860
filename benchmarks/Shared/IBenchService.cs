using PolyType;
using StreamJsonRpc;
using PluginContractAttribute = PluginIpc.PluginContractAttribute;

namespace PluginIpc.Benchmarks;

/// <summary>
/// The service of <c>PeerBenchmarks</c>: the peer serves it with StreamJsonRpc or with PluginIpc, and the benchmarks call it
/// through each library's source-generated proxy. Compiled into both (benchmarks/Shared).
/// </summary>
/// <remarks>
/// The attributes are StreamJsonRpc's for RPC interfaces (a generated proxy, and type shapes for its NerdbankMessagePackFormatter)
/// and PluginIpc's for contracts: one interface, the same calls, for both libraries.
/// </remarks>
[PluginContract("bench")]
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
