namespace PagesPlugin;

/// <summary>The data of <c>read</c>.</summary>
internal sealed record ReadPageRequest(string? Id);
