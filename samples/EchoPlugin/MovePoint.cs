namespace EchoPlugin;

/// <summary>A point, the answer of <c>bench.move</c>.</summary>
/// <param name="X">The horizontal coordinate.</param>
/// <param name="Y">The vertical coordinate.</param>
internal sealed record MovePoint(int X, int Y);
