using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Mathematics;
using BenchmarkDotNet.Running;

namespace PluginIpc.Benchmarks;

/// <summary>
/// The <c>MB/s</c> column of the echo benchmarks: payload bytes one way (<see cref="PayloadBytesAttribute"/>) divided by the
/// mean time of one echo, in 10^6 bytes per second. The same bytes also travel back, so the wire carries twice that.
/// </summary>
public sealed class ThroughputColumn() : ComputedColumn("MB/s", "Payload bytes one way / mean time per echo, in 10^6 bytes per second", 0)
{
    /// <inheritdoc/>
    protected override string? Compute(BenchmarkCase benchmarkCase, Statistics? statistics)
    {
        PayloadBytesAttribute? payload = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<PayloadBytesAttribute>();
        return payload is not null && statistics?.Mean is > 0 and double mean
            ? (payload.Bytes / (mean / 1e9) / 1e6).ToString("N1", CultureInfo.InvariantCulture)
            : null;
    }
}
