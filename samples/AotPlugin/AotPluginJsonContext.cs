using System.Text.Json;
using System.Text.Json.Serialization;

namespace AotPlugin;

/// <summary>
/// The JSON metadata of every type the typed calls carry, generated at build time: the JsonPluginSerializer made with it uses no
/// reflection, so it works in NativeAOT. A host that calls this plugin builds its serializer from the same context.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(MoveRequest))]
[JsonSerializable(typeof(Point))]
[JsonSerializable(typeof(string))]
internal sealed partial class AotPluginJsonContext : JsonSerializerContext;
