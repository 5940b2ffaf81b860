namespace PagesPlugin;

/// <summary>The data of <c>search</c>: words to find in titles and contents, and how many hits to answer at most.</summary>
internal sealed record SearchRequest(string? Query, int? Limit);
