using System.Text.Json.Serialization;

namespace PluginIpc;

/// <summary>Source-generated JSON metadata for the few types PluginIpc serializes, so it stays trimming and AOT safe.</summary>
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(Dictionary<string, string>))]
internal sealed partial class PluginIpcJsonContext : JsonSerializerContext
{
}
