namespace PluginIpc.Benchmarks;

/// <summary>The small object of the typed benchmarks.</summary>
/// <param name="X">The horizontal coordinate.</param>
/// <param name="Y">The vertical coordinate.</param>
public sealed record MovePoint(int X, int Y);
