namespace AotPlugin;

/// <summary>A point on a grid.</summary>
/// <param name="X">The horizontal coordinate.</param>
/// <param name="Y">The vertical coordinate.</param>
internal sealed record Point(int X, int Y);
