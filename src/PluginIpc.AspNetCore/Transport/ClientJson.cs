using System.Text.Json;
using System.Text.Unicode;

namespace PluginIpc.AspNetCore.Transport;

/// <summary>Parses a client's message as JSON text whose every string can be read: valid UTF-8, and no unpaired surrogate.</summary>
/// <remarks>
/// System.Text.Json accepts both while parsing, then throws <see cref="InvalidOperationException"/> from whatever reads such a
/// string later (a value, a property name, a write): turned away here, as the parse error it is, every reader is safe.
/// </remarks>
internal static class ClientJson
{
    /// <summary>Parses <paramref name="utf8"/>.</summary>
    /// <exception cref="JsonException">Not JSON, not UTF-8, or a string with an unpaired surrogate escape (<c>"\ud800"</c>).</exception>
    public static JsonDocument Parse(ReadOnlyMemory<byte> utf8, JsonDocumentOptions options = default)
    {
        if (!Utf8.IsValid(utf8.Span))
        {
            throw new JsonException("The message is not valid UTF-8.");
        }

        JsonDocument document = JsonDocument.Parse(utf8, options);
        if (MayEscapeSurrogate(utf8.Span) && !StringsAreReadable(document.RootElement))
        {
            document.Dispose();
            throw new JsonException("The message has a string with an unpaired surrogate escape.");
        }

        return document;
    }

    // Only an escape can make a surrogate of valid UTF-8: most messages skip the walk below.
    private static bool MayEscapeSurrogate(ReadOnlySpan<byte> utf8) => utf8.IndexOf("\\ud"u8) >= 0 || utf8.IndexOf("\\uD"u8) >= 0;

    private static bool StringsAreReadable(JsonElement root)
    {
        try
        {
            Read(root);
            return true;
        }
        catch (InvalidOperationException)
        {
            return false;
        }
    }

    /// <summary>Reads every string and property name of <paramref name="element"/>; nesting is bounded by the parse's depth limit.</summary>
    private static void Read(JsonElement element)
    {
        switch (element.ValueKind)
        {
            case JsonValueKind.String:
                _ = element.GetString();
                break;
            case JsonValueKind.Array:
                foreach (JsonElement item in element.EnumerateArray())
                {
                    Read(item);
                }

                break;
            case JsonValueKind.Object:
                foreach (JsonProperty property in element.EnumerateObject())
                {
                    _ = property.Name;
                    Read(property.Value);
                }

                break;
        }
    }
}
