namespace PluginIpc;

/// <summary>Counts the runs of some inline work that held the read loop too long; past two, the work leaves the loop.</summary>
/// <remarks>One slow run may be a first call's warm-up (compilation, a serializer's start), so it takes two.</remarks>
internal class SlowRunCounter
{
    private const int SlowRunsBeforeThreadPool = 2;

    private int _slowRuns;

    /// <summary>Gets a value indicating whether the work runs on the thread pool rather than inline on the read loop.</summary>
    public bool RunsOnThreadPool => Volatile.Read(ref _slowRuns) >= SlowRunsBeforeThreadPool;

    /// <summary>Counts a run that held the read loop too long.</summary>
    /// <returns><see langword="true"/> when this run moved the work to the thread pool.</returns>
    public bool RecordSlowRun() => Interlocked.Increment(ref _slowRuns) == SlowRunsBeforeThreadPool;
}
