namespace HostApp;

/// <summary>An <see cref="IProgress{T}"/> that adds each report to a list as it comes (<see cref="Progress{T}"/> would post them to the thread pool).</summary>
internal sealed class ListProgress(List<int> reports) : IProgress<int>
{
    public void Report(int value)
    {
        lock (reports)
        {
            reports.Add(value);
        }
    }
}
