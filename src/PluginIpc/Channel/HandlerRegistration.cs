namespace PluginIpc;

/// <summary>A handler as the channel registered it, with what the channel learned about how it runs.</summary>
internal sealed class HandlerRegistration
{
    /// <summary>How many slow inline runs move a handler to the thread pool: one may be a first call's warm-up.</summary>
    private const int SlowRunsBeforeThreadPool = 2;

    private int _slowRuns;

    public HandlerRegistration(string cmd, ChunkHandler handler)
    {
        Cmd = cmd;
        Handler = handler;
    }

    /// <summary>Gets the command it handles, or <c>*</c> for the fallback.</summary>
    public string Cmd { get; }

    public ChunkHandler Handler { get; }

    /// <summary>Gets a value indicating whether the handler runs on the thread pool rather than inline on the read loop.</summary>
    public bool RunsOnThreadPool => Volatile.Read(ref _slowRuns) >= SlowRunsBeforeThreadPool;

    /// <summary>Counts a run that held the read loop too long.</summary>
    /// <returns><see langword="true"/> when this run moved the handler to the thread pool.</returns>
    public bool RecordSlowRun() => Interlocked.Increment(ref _slowRuns) == SlowRunsBeforeThreadPool;
}
