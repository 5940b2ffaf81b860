namespace PagesPlugin;

/// <summary>The data of <c>create</c>; without an id the plugin makes one.</summary>
internal sealed record CreatePageRequest(string? Id, string? Title, string? Content);
