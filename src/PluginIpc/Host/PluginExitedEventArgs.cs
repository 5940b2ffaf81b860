namespace PluginIpc;

/// <summary>Describes the exit of a plugin process.</summary>
public sealed class PluginExitedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="processId">The operating system's id of the process that exited.</param>
    /// <param name="exitCode">Its exit code; on Unix, 128 plus the signal number for a process killed by a signal.</param>
    /// <param name="expected">Whether the host asked it to stop.</param>
    public PluginExitedEventArgs(int processId, int exitCode, bool expected)
    {
        ProcessId = processId;
        ExitCode = exitCode;
        Expected = expected;
    }

    /// <summary>Gets the operating system's id of the process that exited.</summary>
    public int ProcessId { get; }

    /// <summary>Gets the exit code.</summary>
    public int ExitCode { get; }

    /// <summary>Gets a value indicating whether the host asked the plugin to stop.</summary>
    public bool Expected { get; }
}
