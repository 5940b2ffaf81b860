namespace PagesPlugin;

/// <summary>The data of <c>history</c>: the page, and how many previous versions to answer at most.</summary>
internal sealed record HistoryRequest(string? Id, int? Limit);
