using System.Globalization;

namespace PluginIpc.FloorBench;

/// <summary>
/// The summary of issues 24 and 29: PluginIpc's typed calls (<c>contract</c>) against StreamJsonRpc (<c>sjr-*</c>), medians
/// over rounds, each pair and then the goals against StreamJsonRpc's best formatter of the run; the byte call (<c>msgpack</c>,
/// its move is EchoPlugin's typed <c>bench.move</c>) the same way, for reference.
/// </summary>
internal static class PeerComparison
{
    /// <summary>Issue 24: round trip at least this many times lower than StreamJsonRpc's.</summary>
    private const double Issue24RoundTrip = 2.5;

    /// <summary>Issue 29: round trip at least this many times lower than StreamJsonRpc's.</summary>
    private const double Issue29RoundTrip = 3;

    /// <summary>Issue 24: calls/s with 64 in flight at least this many times StreamJsonRpc's.</summary>
    private const double Issue24InFlight = 8;

    /// <summary>Issue 24: bytes allocated per call (caller side) at most this share of StreamJsonRpc's.</summary>
    private const double Issue24Bytes = 0.25;

    /// <summary>Writes the section for the targets of <paramref name="results"/> that ran.</summary>
    public static void Write(IReadOnlyDictionary<string, List<Result>> results, IEnumerable<string> streamJsonRpcNames)
    {
        PeerFigures[] peers = [.. streamJsonRpcNames.Where(results.ContainsKey).Select(name => PeerFigures.Of(name, results[name]))];
        Console.WriteLine();
        Console.WriteLine("Typed calls against StreamJsonRpc (medians; round trips: StreamJsonRpc's / PluginIpc's = x lower; 64 in flight: PluginIpc's / StreamJsonRpc's = x higher; bytes/call: PluginIpc's / StreamJsonRpc's):");
        foreach (string name in new[] { "contract", "msgpack" }.Where(results.ContainsKey))
        {
            PeerFigures ours = PeerFigures.Of(name, results[name]);
            foreach (PeerFigures peer in peers)
            {
                Console.WriteLine(Invariant(
                    $"{name} vs {peer.Name}: round trip {peer.Echo / ours.Echo:F2}x lower (echo), {peer.Move / ours.Move:F2}x lower (move); 64 in flight {ours.InFlight / peer.InFlight:F2}x higher; bytes/call {ours.EchoBytes / peer.EchoBytes:F2} (echo), {ours.MoveBytes / peer.MoveBytes:F2} (move) of StreamJsonRpc's"));
            }
        }

        PeerFigures best = Best(peers);
        Console.WriteLine(Invariant(
            $"StreamJsonRpc's best of the run: echo {best.Echo:F2} µs ({Lowest(peers, f => f.Echo)}), move {best.Move:F2} µs ({Lowest(peers, f => f.Move)}), 64 in flight {best.InFlight:F0} calls/s ({Highest(peers, f => f.InFlight)}), bytes/call echo {best.EchoBytes:F0} ({Lowest(peers, f => f.EchoBytes)}), move {best.MoveBytes:F0} ({Lowest(peers, f => f.MoveBytes)})"));
        if (results.ContainsKey("contract"))
        {
            Console.WriteLine("contract against the best (goals: issue 24 round trip >= 2.5x lower, 64 in flight >= 8x higher, bytes/call <= 0.25; issue 29 round trip >= 3x lower):");
            Console.WriteLine(Against(PeerFigures.Of("contract", results["contract"]), best, marked: true));
        }

        if (results.ContainsKey("msgpack"))
        {
            Console.WriteLine("msgpack (the byte call; move = EchoPlugin's typed bench.move) against the best, for reference:");
            Console.WriteLine(Against(PeerFigures.Of("msgpack", results["msgpack"]), best, marked: false));
        }
    }

    private static string Against(PeerFigures ours, PeerFigures best, bool marked)
    {
        double echo = best.Echo / ours.Echo, move = best.Move / ours.Move, inFlight = ours.InFlight / best.InFlight;
        double echoBytes = ours.EchoBytes / best.EchoBytes, moveBytes = ours.MoveBytes / best.MoveBytes;
        if (!marked)
        {
            return Invariant($"  round trip echo {echo:F2}x lower, move {move:F2}x lower; 64 in flight {inFlight:F2}x higher; bytes/call echo {echoBytes:F2}, move {moveBytes:F2} of StreamJsonRpc's");
        }

        return Invariant(
            $"  round trip echo {echo:F2}x lower (issue 24 {Mark(echo >= Issue24RoundTrip)}, issue 29 {Mark(echo >= Issue29RoundTrip)}), move {move:F2}x lower (issue 24 {Mark(move >= Issue24RoundTrip)}, issue 29 {Mark(move >= Issue29RoundTrip)}); 64 in flight {inFlight:F2}x higher ({Mark(inFlight >= Issue24InFlight)}); bytes/call echo {echoBytes:F2} ({Mark(echoBytes <= Issue24Bytes)}), move {moveBytes:F2} ({Mark(moveBytes <= Issue24Bytes)}) of StreamJsonRpc's");
    }

    private static string Mark(bool met) => met ? "MET" : "MISSED";

    /// <summary>Returns StreamJsonRpc's best of each figure, whichever formatter it came from.</summary>
    private static PeerFigures Best(PeerFigures[] peers) => new(
        "best",
        peers.Min(f => f.Echo),
        peers.Min(f => f.Move),
        peers.Max(f => f.InFlight),
        peers.Min(f => f.EchoBytes),
        peers.Min(f => f.MoveBytes));

    private static string Lowest(PeerFigures[] peers, Func<PeerFigures, double> value) => peers.MinBy(value)!.Name;

    private static string Highest(PeerFigures[] peers, Func<PeerFigures, double> value) => peers.MaxBy(value)!.Name;

    private static string Invariant(FormattableString text) => text.ToString(CultureInfo.InvariantCulture);
}
