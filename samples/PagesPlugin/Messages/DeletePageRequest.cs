namespace PagesPlugin;

/// <summary>The data of <c>delete</c>: the page and the version the client last saw.</summary>
internal sealed record DeletePageRequest(string? Id, long? Version);
