using System.Globalization;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace PluginIpc.Benchmarks;

/// <summary>
/// The <c>Calls/s</c> column: 10^9 / the median time of one operation in nanoseconds, so per call for benchmarks with
/// <c>OperationsPerInvoke</c> (BenchmarkDotNet's <c>Op/s</c> is the same from the mean).
/// </summary>
public sealed class MedianCallsPerSecondColumn : IColumn
{
    /// <inheritdoc/>
    public string Id => nameof(MedianCallsPerSecondColumn);

    /// <inheritdoc/>
    public string ColumnName => "Calls/s (median)";

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => 1;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => "Operations (calls) per second from the median time of one operation";

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
        double? medianNanoseconds = summary[benchmarkCase]?.ResultStatistics?.Median;
        return medianNanoseconds is > 0 ? (1e9 / medianNanoseconds.Value).ToString("N0", CultureInfo.InvariantCulture) : "-";
    }

    /// <inheritdoc/>
    public override string ToString() => ColumnName;
}
