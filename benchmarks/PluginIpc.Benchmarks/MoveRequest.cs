namespace PluginIpc.Benchmarks;

/// <summary>The request of EchoPlugin's typed <c>bench.move</c>: a point and the offsets to move it by (the arguments of <see cref="IBenchService.MoveAsync"/>).</summary>
/// <param name="Point">The point to move.</param>
/// <param name="Dx">The horizontal offset.</param>
/// <param name="Dy">The vertical offset.</param>
internal sealed record MoveRequest(MovePoint Point, int Dx, int Dy);
