namespace Samples;

/// <summary>A point: a plain record, carried with no attributes.</summary>
/// <param name="X">The horizontal coordinate.</param>
/// <param name="Y">The vertical coordinate.</param>
public sealed record Point(int X, int Y);
