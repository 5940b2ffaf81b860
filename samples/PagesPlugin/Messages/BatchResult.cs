using System.Text.Json;

namespace PagesPlugin;

/// <summary>The result of one batch operation: its answer, or its error.</summary>
internal sealed record BatchResult(bool Success, JsonElement? Data, PageError? Error);
