namespace PagesPlugin;

/// <summary>The details of E1001: the id that was not found.</summary>
internal sealed record PageIdDetails(string Id);
