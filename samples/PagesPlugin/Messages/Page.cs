namespace PagesPlugin;

/// <summary>A page as clients see it; <paramref name="Version"/> starts at 1 and grows by one with each update.</summary>
internal sealed record Page(string Id, string Title, string Content, long Version, DateTimeOffset UpdatedAt);
