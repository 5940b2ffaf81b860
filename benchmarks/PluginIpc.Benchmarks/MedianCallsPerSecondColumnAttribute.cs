using BenchmarkDotNet.Attributes;

namespace PluginIpc.Benchmarks;

/// <summary>Adds <see cref="MedianCallsPerSecondColumn"/> to a benchmark class, beside the columns of its <c>[Config]</c>.</summary>
[AttributeUsage(AttributeTargets.Class)]
public sealed class MedianCallsPerSecondColumnAttribute : ColumnConfigBaseAttribute
{
    /// <summary>Initializes the attribute.</summary>
    public MedianCallsPerSecondColumnAttribute()
        : base(new MedianCallsPerSecondColumn())
    {
    }
}
