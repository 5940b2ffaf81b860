using System.Text.Json.Serialization;

namespace PluginIpc;

/// <summary>The values contracts put on the wire themselves (stream ids, windows, progress tokens, the end flag), so a user's context need not list them.</summary>
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(long?))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(bool))]
internal sealed partial class ContractJsonContext : JsonSerializerContext;
