using System.Text.Json;
using System.Text.Json.Serialization;
using Samples;

namespace AotPlugin;

/// <summary>
/// The JSON metadata of every type the IGreeter contract carries, generated at build time: the JsonPluginSerializer made with it
/// uses no reflection, so it works in NativeAOT. A host that calls this plugin builds its serializer from the same context.
/// </summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Point))]
[JsonSerializable(typeof(int[]))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(int))]
public sealed partial class AotPluginJsonContext : JsonSerializerContext;
