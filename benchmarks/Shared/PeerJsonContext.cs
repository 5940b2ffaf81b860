using System.Text.Json.Serialization;

namespace PluginIpc.Benchmarks;

/// <summary>The source-generated System.Text.Json metadata that StreamJsonRpc's SystemTextJsonFormatter uses for the benchmarks' types.</summary>
[JsonSerializable(typeof(MovePoint))]
[JsonSerializable(typeof(byte[]))]
[JsonSerializable(typeof(int))]
internal sealed partial class PeerJsonContext : JsonSerializerContext;
