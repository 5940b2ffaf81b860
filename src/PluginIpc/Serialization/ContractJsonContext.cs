using System.Text.Json.Serialization;

namespace PluginIpc;

/// <summary>
/// The values contracts and the bus put on the wire themselves (stream ids, windows, progress tokens, the end flag, topics,
/// payloads, allow-lists), so a user's context need not list them.
/// </summary>
[JsonSerializable(typeof(long))]
[JsonSerializable(typeof(string))]
[JsonSerializable(typeof(string[]))]
[JsonSerializable(typeof(ReadOnlyMemory<byte>))]
[JsonSerializable(typeof(long?))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(bool))]
internal sealed partial class ContractJsonContext : JsonSerializerContext;
