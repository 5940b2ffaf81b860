using System.Text.Json.Serialization;

namespace PluginIpc.Tests.Bus;

/// <summary>A user's context that lists none of the bus's own types: the serializer adds them.</summary>
[JsonSerializable(typeof(int))]
internal sealed partial class BusWireJsonContext : JsonSerializerContext;
