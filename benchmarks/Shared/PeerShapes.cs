using PolyType;

namespace PluginIpc.Benchmarks;

/// <summary>The PolyType witness whose generated provider gives StreamJsonRpc's NerdbankMessagePackFormatter the shapes of the benchmarks' types.</summary>
[GenerateShapeFor<MovePoint>]
[GenerateShapeFor<byte[]>]
internal sealed partial class PeerShapes;
