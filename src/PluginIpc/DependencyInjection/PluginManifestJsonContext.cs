using System.Text.Json.Serialization;

namespace PluginIpc;

/// <summary>Source-generated JSON metadata for <c>plugin.json</c> manifests: camelCase, comments and trailing commas allowed, unknown fields rejected.</summary>
[JsonSourceGenerationOptions(
    PropertyNamingPolicy = JsonKnownNamingPolicy.CamelCase,
    ReadCommentHandling = System.Text.Json.JsonCommentHandling.Skip,
    AllowTrailingCommas = true,
    UnmappedMemberHandling = JsonUnmappedMemberHandling.Disallow)]
[JsonSerializable(typeof(PluginManifest))]
[JsonSerializable(typeof(PluginManifestRestartPolicy))]
[JsonSerializable(typeof(PluginManifestBus))]
internal sealed partial class PluginManifestJsonContext : JsonSerializerContext
{
}
