using System.Globalization;
using BenchmarkDotNet.Mathematics;
using BenchmarkDotNet.Running;

namespace PluginIpc.Benchmarks;

/// <summary>
/// The <c>Calls/s</c> column: 10^9 / the median time of one operation in nanoseconds, so per call for benchmarks with
/// <c>OperationsPerInvoke</c> (BenchmarkDotNet's <c>Op/s</c> is the same from the mean).
/// </summary>
public sealed class MedianCallsPerSecondColumn() : ComputedColumn("Calls/s (median)", "Operations (calls) per second from the median time of one operation", 1)
{
    /// <inheritdoc/>
    protected override string? Compute(BenchmarkCase benchmarkCase, Statistics? statistics) =>
        statistics?.Median is > 0 and double median ? (1e9 / median).ToString("N0", CultureInfo.InvariantCulture) : null;
}
