namespace PagesPlugin;

/// <summary>A page that matched a search, with a snippet of the matching text (matches between <c>**</c>).</summary>
internal sealed record SearchHit(string Id, string Title, string Snippet);
