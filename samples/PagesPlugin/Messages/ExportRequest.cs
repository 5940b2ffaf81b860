namespace PagesPlugin;

/// <summary>The data of <c>export</c>: the pages to export (all when none are named), after the id a previous export answered as next.</summary>
internal sealed record ExportRequest(IReadOnlyList<string>? Ids, string? After);
