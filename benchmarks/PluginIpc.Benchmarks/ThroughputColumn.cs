using System.Globalization;
using System.Reflection;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace PluginIpc.Benchmarks;

/// <summary>
/// The <c>MB/s</c> column of the echo benchmarks: payload bytes one way (<see cref="PayloadBytesAttribute"/>) divided by the
/// mean time of one echo, in 10^6 bytes per second. The same bytes also travel back, so the wire carries twice that.
/// </summary>
public sealed class ThroughputColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(ThroughputColumn);

    /// <inheritdoc/>
    public string ColumnName => "MB/s";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 0;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Payload bytes one way / mean time per echo, in 10^6 bytes per second";

    /// <inheritdoc/>
    public bool IsAvailable(Summary summary) => true;

    /// <inheritdoc/>
    public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

    /// <inheritdoc/>
    public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
    {
        ArgumentNullException.ThrowIfNull(summary);
        ArgumentNullException.ThrowIfNull(benchmarkCase);
        PayloadBytesAttribute? payload = benchmarkCase.Descriptor.WorkloadMethod.GetCustomAttribute<PayloadBytesAttribute>();
        double? meanNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Mean;
        if (payload is null || meanNanoseconds is not > 0)
        {
            return "-";
        }

        double megabytesPerSecond = payload.Bytes / (meanNanoseconds.Value / 1e9) / 1e6;
        return megabytesPerSecond.ToString("N1", CultureInfo.InvariantCulture);
    }

    /// <inheritdoc/>
    public override string ToString() => ColumnName;
}
