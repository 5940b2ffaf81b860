using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;

namespace PluginIpc.Benchmarks;

/// <summary>Adds the calls per second (<c>Op/s</c>, per operation: per call for the concurrent case) and <c>MB/s</c> columns to the process benchmarks.</summary>
public sealed class ProcessConfig : ManualConfig
{
    /// <summary>Initializes the configuration.</summary>
    public ProcessConfig()
    {
        AddColumn(StatisticColumn.OperationsPerSecond);
        AddColumn(new ThroughputColumn());

        // Parameter values in full (PeerBenchmarks' are up to 33 characters; the default cuts them at 20).
        SummaryStyle = SummaryStyle.Default.WithMaxParameterColumnWidth(40);
    }
}
