namespace PluginIpc.FloorBench;

/// <summary>One target's figures from one round.</summary>
/// <param name="RoundTripMicroseconds">Median over samples of the mean 64 B sequential round trip.</param>
/// <param name="RoundTripP10">10th percentile of the samples.</param>
/// <param name="RoundTripP90">90th percentile of the samples.</param>
/// <param name="InFlightCallsPerSecond">Median calls/s with 64 calls in flight.</param>
/// <param name="MegabytesPerSecond64KiB">Median MB/s (payload one way) of 64 KiB echoes.</param>
/// <param name="MegabytesPerSecond1MiB">Median MB/s of 1 MiB echoes.</param>
/// <param name="HostCpuMicroseconds">Host CPU (user + system) per sequential call.</param>
/// <param name="ChildCpuMicroseconds">Child CPU per sequential call.</param>
/// <param name="InFlightHostCpuMicroseconds">Host CPU per call with 64 in flight.</param>
/// <param name="InFlightChildCpuMicroseconds">Child CPU per call with 64 in flight.</param>
/// <param name="ContextSwitchesPerCall">Context switches of both processes (all threads) per sequential call.</param>
/// <param name="IdleHostMillisecondsPerSecond">Host CPU while idle, ms per s.</param>
/// <param name="IdleChildMillisecondsPerSecond">Child CPU while idle, ms per s.</param>
/// <param name="MoveMicroseconds">Median over samples of the mean sequential typed move round trip; NaN when the target makes no typed calls.</param>
/// <param name="EchoBytesPerCall">Bytes the host process allocated per sequential 64 B call; NaN when not measured (the C floor).</param>
/// <param name="MoveBytesPerCall">Bytes the host process allocated per sequential move; NaN when the target makes no typed calls.</param>
/// <param name="HostGcPauseShare1MiB">Share of the 1 MiB echoes' time during which the host's garbage collector paused it; NaN when not measured.</param>
/// <param name="HostFaultsPerEcho1MiB">The host's minor page faults per 1 MiB echo; NaN when not measured.</param>
internal sealed record Result(
    double RoundTripMicroseconds,
    double RoundTripP10,
    double RoundTripP90,
    double InFlightCallsPerSecond,
    double MegabytesPerSecond64KiB,
    double MegabytesPerSecond1MiB,
    double HostCpuMicroseconds,
    double ChildCpuMicroseconds,
    double InFlightHostCpuMicroseconds,
    double InFlightChildCpuMicroseconds,
    double ContextSwitchesPerCall,
    double IdleHostMillisecondsPerSecond,
    double IdleChildMillisecondsPerSecond,
    double MoveMicroseconds = double.NaN,
    double EchoBytesPerCall = double.NaN,
    double MoveBytesPerCall = double.NaN,
    double HostGcPauseShare1MiB = double.NaN,
    double HostFaultsPerEcho1MiB = double.NaN);
