namespace PluginIpc.Benchmarks;

/// <summary>The small object of the typed benchmarks; compiled into the benchmarks and the StreamJsonRpc peer (benchmarks/Shared).</summary>
/// <param name="X">The horizontal coordinate.</param>
/// <param name="Y">The vertical coordinate.</param>
internal sealed record MovePoint(int X, int Y);
