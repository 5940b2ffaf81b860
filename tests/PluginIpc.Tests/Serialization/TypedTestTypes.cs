using System.Text.Json;
using System.Text.Json.Serialization;
using MessagePack;

namespace PluginIpc.Tests.Serialization;

/// <summary>A user type with no attributes.</summary>
public sealed record Point(int X, int Y);

/// <summary>A plain class with no attributes and a collection.</summary>
public sealed class Route
{
    public string Name { get; set; } = string.Empty;

    public List<Point> Stops { get; set; } = [];
}

/// <summary>A type with its own MessagePack keys.</summary>
[MessagePackObject]
public sealed class Keyed
{
    [Key(0)]
    public int Id { get; set; }

    [Key(1)]
    public string? Label { get; set; }
}

/// <summary>The source-generated JSON metadata of the test types: the NativeAOT path.</summary>
[JsonSourceGenerationOptions(JsonSerializerDefaults.Web)]
[JsonSerializable(typeof(Point))]
[JsonSerializable(typeof(Route))]
[JsonSerializable(typeof(Keyed))]
[JsonSerializable(typeof(int))]
[JsonSerializable(typeof(string))]
internal sealed partial class TypedTestJsonContext : JsonSerializerContext;
