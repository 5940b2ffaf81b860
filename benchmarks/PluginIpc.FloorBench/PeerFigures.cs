namespace PluginIpc.FloorBench;

/// <summary>One target's medians over rounds, as <see cref="PeerComparison"/> compares them.</summary>
/// <param name="Name">The target.</param>
/// <param name="Echo">64 B round trip, µs.</param>
/// <param name="Move">Typed move round trip, µs.</param>
/// <param name="InFlight">Calls/s with 64 in flight.</param>
/// <param name="EchoBytes">Host bytes allocated per 64 B call.</param>
/// <param name="MoveBytes">Host bytes allocated per move.</param>
internal sealed record PeerFigures(string Name, double Echo, double Move, double InFlight, double EchoBytes, double MoveBytes)
{
    /// <summary>Returns the medians of <paramref name="list"/>, the rounds of <paramref name="name"/>.</summary>
    public static PeerFigures Of(string name, List<Result> list) => new(
        name,
        Median(list, r => r.RoundTripMicroseconds),
        Median(list, r => r.MoveMicroseconds),
        Median(list, r => r.InFlightCallsPerSecond),
        Median(list, r => r.EchoBytesPerCall),
        Median(list, r => r.MoveBytesPerCall));

    private static double Median(List<Result> list, Func<Result, double> value) => Driver.Median([.. list.Select(value).Order()]);
}
