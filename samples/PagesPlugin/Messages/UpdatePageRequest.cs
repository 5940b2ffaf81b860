namespace PagesPlugin;

/// <summary>The data of <c>update</c>: the fields to change and the version the client last saw.</summary>
internal sealed record UpdatePageRequest(string? Id, string? Title, string? Content, long? Version);
