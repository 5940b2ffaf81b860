namespace PluginIpc;

/// <summary>One exit of a plugin process: when, which process, its exit code, and why, if the host did not ask for it.</summary>
/// <param name="Time">When the host saw the exit.</param>
/// <param name="ProcessId">The operating system's id of the process that exited.</param>
/// <param name="ExitCode">Its exit code (on Unix, 128 plus the signal number for a process killed by a signal); -1 when it could not be read.</param>
/// <param name="Expected">Whether the host asked the plugin to stop.</param>
/// <param name="Reason">For an unexpected exit, the first cause the host saw (a crash, a closed channel, unanswered pings); otherwise <see langword="null"/>.</param>
public sealed record PluginExit(DateTimeOffset Time, int ProcessId, int ExitCode, bool Expected, string? Reason);
