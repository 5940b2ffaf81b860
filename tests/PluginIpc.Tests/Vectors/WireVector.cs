using System.Text.Json;

namespace PluginIpc.Tests.Vectors;

/// <summary>One entry of the protocol's wire vectors (copied from the independent implementation's set).</summary>
public sealed class WireVector
{
    public required string Framer { get; init; }
    public required string Kind { get; init; } // valid, invalid, incomplete
    public required string Name { get; init; }
    public required byte[] Bytes { get; init; }
    public bool Canonical { get; init; }
    public Chunk? Expected { get; init; }

    public override string ToString() => $"{Framer}/{Kind}/{Name}";

    public static IEnumerable<WireVector> Load(string framer, string kind)
    {
        string path = Path.Combine(TestContext.CurrentContext.TestDirectory, "Vectors", framer + ".json");
        using JsonDocument document = JsonDocument.Parse(File.ReadAllBytes(path));
        foreach (JsonElement entry in document.RootElement.GetProperty(kind).EnumerateArray())
        {
            yield return new WireVector
            {
                Framer = framer,
                Kind = kind,
                Name = entry.GetProperty("name").GetString()!,
                Bytes = Convert.FromHexString(entry.GetProperty("hex").GetString()!),
                Canonical = entry.TryGetProperty("canonical", out JsonElement canonical) && canonical.GetBoolean(),
                Expected = entry.TryGetProperty("chunk", out JsonElement chunk) ? ReadChunk(chunk) : null,
            };
        }
    }

    public static IEnumerable<TestCaseData> Cases(string framer, string kind) =>
        Load(framer, kind).Select(v => new TestCaseData(v).SetArgDisplayNames(v.Name));

    private static Chunk ReadChunk(JsonElement chunk)
    {
        Dictionary<string, string>? headers = null;
        if (chunk.TryGetProperty("headers", out JsonElement h) && h.ValueKind == JsonValueKind.Object)
        {
            headers = h.EnumerateObject().ToDictionary(p => p.Name, p => p.Value.GetString()!);
        }

        return new Chunk
        {
            ThreadId = ulong.Parse(chunk.GetProperty("threadId").GetString()!, System.Globalization.CultureInfo.InvariantCulture),
            Direction = (Direction)chunk.GetProperty("direction").GetInt32(),
            Cmd = chunk.GetProperty("cmd").GetString()!,
            Buffer = Convert.FromHexString(chunk.GetProperty("bufferHex").GetString()!),
            Headers = headers,
        };
    }
}
