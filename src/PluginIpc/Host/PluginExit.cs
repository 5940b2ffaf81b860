namespace PluginIpc;

/// <summary>One exit of a plugin process: when, which process, its exit code, and why, if the host did not ask for it.</summary>
public sealed record PluginExit
{
    internal PluginExit(DateTimeOffset time, int processId, int exitCode, bool expected, string? reason)
    {
        Time = time;
        ProcessId = processId;
        ExitCode = exitCode;
        Expected = expected;
        Reason = reason;
    }

    /// <summary>Gets when the host saw the exit, by the plugin's <see cref="PluginOptions.TimeProvider"/>.</summary>
    public DateTimeOffset Time { get; }

    /// <summary>Gets the operating system's id of the process that exited.</summary>
    public int ProcessId { get; }

    /// <summary>Gets its exit code (on Unix, 128 plus the signal number for a process killed by a signal); -1 when it could not be read.</summary>
    public int ExitCode { get; }

    /// <summary>Gets a value indicating whether the host asked the plugin to stop.</summary>
    public bool Expected { get; }

    /// <summary>Gets, for an unexpected exit, the first cause the host saw (a crash, a closed channel, unanswered pings); otherwise <see langword="null"/>.</summary>
    public string? Reason { get; }
}
