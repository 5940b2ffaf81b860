namespace PagesPlugin;

/// <summary>The answer of <c>delete</c>: the page and the version that was deleted.</summary>
internal sealed record DeletedPage(string Id, long Version, bool Deleted);
