using System.Text.Json;

namespace PagesPlugin;

/// <summary>One operation of a batch: a data action (<c>read</c>, <c>create</c>, <c>update</c>, <c>delete</c>) and its data.</summary>
internal sealed record BatchOperation(string? Action, JsonElement? Data);
