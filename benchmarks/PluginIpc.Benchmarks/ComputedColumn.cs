using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace PluginIpc.Benchmarks;

/// <summary>A custom numeric column computed from each benchmark case's statistics: the parts every such column shares.</summary>
/// <param name="columnName">The column's header.</param>
/// <param name="legend">What the column means, under the table.</param>
/// <param name="priority">Its order among the custom columns.</param>
public abstract class ComputedColumn(string columnName, string legend, int priority) : IColumn
{
    /// <inheritdoc/>
    public string Id => GetType().Name;

    /// <inheritdoc/>
    public string ColumnName => columnName;

    /// <inheritdoc/>
    public bool AlwaysShow => true;

    /// <inheritdoc/>
    public ColumnCategory Category => ColumnCategory.Custom;

    /// <inheritdoc/>
    public int PriorityInCategory => priority;

    /// <inheritdoc/>
    public bool IsNumeric => true;

    /// <inheritdoc/>
    public UnitType UnitType => UnitType.Dimensionless;

    /// <inheritdoc/>
    public string Legend => legend;

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
        return Compute(benchmarkCase, summary[benchmarkCase]?.ResultStatistics) ?? "-";
    }

    /// <inheritdoc/>
    public override string ToString() => ColumnName;

    /// <summary>Returns the cell of <paramref name="benchmarkCase"/>, or <see langword="null"/> for none.</summary>
    /// <param name="benchmarkCase">The case.</param>
    /// <param name="statistics">Its measured statistics, if it ran.</param>
    /// <returns>The cell's text.</returns>
    protected abstract string? Compute(BenchmarkCase benchmarkCase, BenchmarkDotNet.Mathematics.Statistics? statistics);
}
