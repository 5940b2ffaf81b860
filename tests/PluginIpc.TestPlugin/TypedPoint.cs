/// <summary>The plugin's own copy of a test's point type: typed calls match by shape (property names), not by assembly.</summary>
internal sealed record TypedPoint(int X, int Y);
