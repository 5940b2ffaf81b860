namespace EchoPlugin;

/// <summary>The request of <c>bench.move</c>: a point and the offsets to move it by.</summary>
/// <param name="Point">The point to move.</param>
/// <param name="Dx">The horizontal offset.</param>
/// <param name="Dy">The vertical offset.</param>
internal sealed record MoveRequest(MovePoint Point, int Dx, int Dy);
