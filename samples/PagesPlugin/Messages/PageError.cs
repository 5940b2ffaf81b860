using System.Text.Json;

namespace PagesPlugin;

/// <summary>An error inside a batch result, shaped as the envelope's error: code (E1001..), message and details.</summary>
internal sealed record PageError(string Code, string Message, JsonElement? Details);
