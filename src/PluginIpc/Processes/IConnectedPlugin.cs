namespace PluginIpc;

/// <summary>The host's end of one started plugin: the two streams of its channel, its output tail, and its lifetime.</summary>
/// <remarks>
/// Thread safe. <see cref="Plugin"/> supervises a plugin through this interface only. Disposing it ends the plugin if it still
/// runs and releases the streams; it never throws and may be called more than once. Every plugin today is a local process;
/// a connector whose plugin has no process of its own (attached to a shared plugin, or remote) will have no process id and
/// maybe no exit code: <see cref="ProcessId"/> is to become nullable then, and <see cref="Exited"/> reports -1 where no code is known.
/// </remarks>
internal interface IConnectedPlugin : IAsyncDisposable
{
    /// <summary>Gets the stream the host reads the plugin's chunks from.</summary>
    Stream Input { get; }

    /// <summary>Gets the stream the host writes chunks to the plugin to.</summary>
    Stream Output { get; }

    /// <summary>Gets the operating system's id of the plugin process.</summary>
    int ProcessId { get; }

    /// <summary>Gets a task that completes with the exit code once the plugin has ended and its output was read; it never fails.</summary>
    Task<int> Exited { get; }

    /// <summary>Gets a value indicating whether the plugin has ended (<see cref="Exited"/> may still wait for its output).</summary>
    bool HasExited { get; }

    /// <summary>Gets the recent lines of the plugin's stderr, oldest first, joined by line feeds; empty when there are none.</summary>
    string StderrTail { get; }

    /// <summary>Closes <see cref="Output"/>, so that the plugin sees the end of its input. Never throws; safe to call more than once.</summary>
    /// <returns>A task that completes when the stream is closed.</returns>
    ValueTask CloseOutputAsync();

    /// <summary>Ends the plugin at once (a process with all its descendants), then waits until <see cref="Exited"/> completes.</summary>
    /// <param name="cancellationToken">Cancels the wait, not the kill.</param>
    /// <returns>A task that completes when the plugin has ended.</returns>
    Task KillAsync(CancellationToken cancellationToken);
}
