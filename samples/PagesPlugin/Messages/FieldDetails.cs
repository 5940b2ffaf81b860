namespace PagesPlugin;

/// <summary>The details of E1003: the field that is invalid.</summary>
internal sealed record FieldDetails(string Field);
