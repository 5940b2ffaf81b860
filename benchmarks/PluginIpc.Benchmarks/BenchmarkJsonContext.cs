using System.Text.Json;
using System.Text.Json.Serialization;

namespace PluginIpc.Benchmarks;

/// <summary>The source-generated JSON metadata of the typed benchmarks.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MovePoint))]
internal sealed partial class BenchmarkJsonContext : JsonSerializerContext;
