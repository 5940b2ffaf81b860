namespace PagesPlugin;

/// <summary>The data of <c>batch</c>: operations run in order, in one transaction.</summary>
internal sealed record BatchRequest(IReadOnlyList<BatchOperation>? Operations);
