namespace PagesPlugin;

/// <summary>The details of E1002: the page, the version the client sent (none for a create), and the current one.</summary>
internal sealed record ConflictDetails(string Id, long? ExpectedVersion, long CurrentVersion);
