using System.Text.Json;
using System.Text.Json.Serialization;
using PluginIpc.TestContracts;
using Samples;

namespace PluginIpc.Tests.TypedContracts;

/// <summary>The contracts' types for the JSON serializer without reflection: the NativeAOT path. Stream ids and progress tokens need no entry.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Samples.Point))]
[JsonSerializable(typeof(ProbeCounters))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(string))]
internal sealed partial class ContractTestJsonContext : JsonSerializerContext;
