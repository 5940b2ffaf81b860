namespace PluginIpc;

/// <summary>Counts the runs in a row of some inline work that held the read loop too long; at three, the work leaves the loop for good.</summary>
/// <remarks>
/// Only runs in a row count, so neither a first call's warm-up (compilation, a serializer's start) nor a thread that the
/// operating system preempted now and then in the middle of quick code moves the work: a quick run starts the count again.
/// </remarks>
internal class SlowRunCounter
{
    private const int SlowRunsInARowBeforeThreadPool = 3;

    private int _slowRunsInARow;
    private int _runsOnThreadPool;

    /// <summary>Gets a value indicating whether the work runs on the thread pool rather than inline on the read loop.</summary>
    public bool RunsOnThreadPool => Volatile.Read(ref _runsOnThreadPool) != 0;

    /// <summary>Counts a run that held the read loop too long.</summary>
    /// <returns><see langword="true"/> when this run moved the work to the thread pool.</returns>
    public bool RecordSlowRun() =>
        Interlocked.Increment(ref _slowRunsInARow) >= SlowRunsInARowBeforeThreadPool
        && Interlocked.Exchange(ref _runsOnThreadPool, 1) == 0;

    /// <summary>Counts a quick run: the slow runs before it no longer count.</summary>
    public void RecordQuickRun()
    {
        if (_slowRunsInARow != 0)
        {
            Volatile.Write(ref _slowRunsInARow, 0);
        }
    }
}
