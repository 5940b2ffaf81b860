namespace PluginIpc;

/// <summary>
/// The application's plugins, registered with <c>AddPlugin</c> or discovered from <c>plugin.json</c> manifests: one shared
/// <see cref="Plugin"/> per name, started once, on first use or at application start, and stopped with the application.
/// </summary>
/// <remarks>
/// <para>Thread safe. Registered by <c>services.AddPluginIpc()</c> as a singleton; disposing the service provider stops every plugin.</para>
/// <para>
/// Keep asking the manager rather than keeping a <see cref="Plugin"/> for the application's lifetime: a plugin that failed for good
/// (its restart policy gave up) or was stopped by hand is started anew, as a new <see cref="Plugin"/>, by the next
/// <see cref="GetAsync(string, CancellationToken)"/>. Restarts within the policy keep the same instance, and its calls wait for the
/// restart.
/// </para>
/// </remarks>
public interface IPluginManager
{
    /// <summary>Gets the names of all plugins, registered and discovered.</summary>
    IReadOnlyCollection<string> Names { get; }

    /// <summary>Gets the manifests that could not be used, each naming its file and field. They are also logged as warnings.</summary>
    IReadOnlyList<PluginDiscoveryError> DiscoveryErrors { get; }

    /// <summary>
    /// Returns the running plugin named <paramref name="name"/>, starting it if it does not run yet and waiting until it is ready.
    /// Concurrent first calls start it once; all callers share the instance.
    /// </summary>
    /// <param name="name">The plugin's name (ordinal, case sensitive).</param>
    /// <param name="cancellationToken">Ends this caller's wait; the start itself goes on for the other callers.</param>
    /// <returns>The plugin, in state <see cref="PluginState.Running"/>.</returns>
    /// <exception cref="KeyNotFoundException">No plugin has that name; the message lists the known names.</exception>
    /// <exception cref="PluginStartException">
    /// The plugin is misconfigured (the message names the setting or the missing executable's path), its setup code threw, it could not
    /// start, or it failed for good. A failed start is logged at error level and leaves <see cref="GetState"/> at
    /// <see cref="PluginState.Failed"/>. Nothing is cached: the next call tries again.
    /// </exception>
    /// <exception cref="ObjectDisposedException">The manager was stopped or disposed.</exception>
    Task<Plugin> GetAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns where the plugin named <paramref name="name"/> is in its life, without starting it.
    /// </summary>
    /// <param name="name">The plugin's name (ordinal, case sensitive).</param>
    /// <returns>
    /// <see cref="PluginState.Created"/> when it was never started; <see cref="PluginState.Starting"/> while a start is under way;
    /// <see cref="PluginState.Failed"/> when its last start failed (misconfigured, missing executable, setup code threw, or the
    /// process did not start); <see cref="PluginState.Stopped"/> when the manager stopped before its start completed; otherwise the
    /// <see cref="Plugin.State"/> of its current <see cref="Plugin"/>.
    /// </returns>
    /// <exception cref="KeyNotFoundException">No plugin has that name; the message lists the known names.</exception>
    PluginState GetState(string name);

    /// <summary>
    /// Returns the state of the plugin named <paramref name="name"/> (see <see cref="GetState"/>) with its process id, restart
    /// count, last exit and last error, without starting it. Health checks and dashboards read it.
    /// </summary>
    /// <param name="name">The plugin's name (ordinal, case sensitive).</param>
    /// <returns>A snapshot; it does not change afterwards.</returns>
    /// <exception cref="KeyNotFoundException">No plugin has that name; the message lists the known names.</exception>
    PluginStatus GetStatus(string name);

    /// <summary>
    /// Starts the plugin named <paramref name="name"/> if it does not run, after a <see cref="StopPluginAsync"/>
    /// too, and waits until it is ready (process control, as a dashboard's start button does).
    /// </summary>
    /// <param name="name">The plugin's name (ordinal, case sensitive).</param>
    /// <param name="cancellationToken">Ends the wait; the start itself goes on.</param>
    /// <returns>A task that completes when the plugin runs.</returns>
    /// <exception cref="KeyNotFoundException">No plugin has that name.</exception>
    /// <exception cref="PluginStartException">It could not start; see <see cref="GetAsync"/>.</exception>
    /// <exception cref="ObjectDisposedException">The manager was stopped or disposed.</exception>
    Task StartPluginAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops the plugin named <paramref name="name"/> gracefully (within its <see cref="PluginOptions.StopTimeout"/>, then its process
    /// tree is killed), and keeps it stopped: until <see cref="StartPluginAsync"/> or
    /// <see cref="RestartPluginAsync"/>, <see cref="GetAsync"/> throws <see cref="PluginStartException"/> saying so, rather than start it
    /// for the next caller. A start under way is awaited, then stopped.
    /// </summary>
    /// <param name="name">The plugin's name (ordinal, case sensitive).</param>
    /// <param name="cancellationToken">Ends the grace period early: the process is killed.</param>
    /// <returns>A task that completes when its process no longer runs.</returns>
    /// <exception cref="KeyNotFoundException">No plugin has that name.</exception>
    /// <exception cref="ObjectDisposedException">The manager was stopped or disposed.</exception>
    Task StopPluginAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops the plugin named <paramref name="name"/> if it runs (as <see cref="StopPluginAsync"/> does) and
    /// starts it anew, as a new <see cref="Plugin"/>; it need not run before.
    /// </summary>
    /// <param name="name">The plugin's name (ordinal, case sensitive).</param>
    /// <param name="cancellationToken">Ends the grace period of the stop and the wait for the start.</param>
    /// <returns>A task that completes when the new process is ready.</returns>
    /// <exception cref="KeyNotFoundException">No plugin has that name.</exception>
    /// <exception cref="PluginStartException">It could not start again; see <see cref="GetAsync"/>.</exception>
    /// <exception cref="ObjectDisposedException">The manager was stopped or disposed.</exception>
    Task RestartPluginAsync(string name, CancellationToken cancellationToken = default);

    /// <summary>
    /// Returns the kept output lines and log entries of one plugin (<see cref="PluginLogQuery.Plugin"/>) or of all, that match
    /// <paramref name="query"/>, newest first. The manager keeps each plugin's history across restarts and new starts, bounded
    /// by its <see cref="PluginOptions.RecentLogCapacity"/> and <see cref="PluginOptions.RecentLogByteCapacity"/>.
    /// </summary>
    /// <param name="query">The conditions.</param>
    /// <returns>Up to <see cref="PluginLogQuery.MaxEntries"/> entries, newest first, each naming its <see cref="PluginLogEntry.Plugin"/>.</returns>
    /// <exception cref="KeyNotFoundException"><see cref="PluginLogQuery.Plugin"/> names no plugin.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A value of <paramref name="query"/> is out of range.</exception>
    IReadOnlyList<PluginLogEntry> QueryLogs(PluginLogQuery query);

    /// <summary>Starts the plugins whose start mode is <see cref="StartMode.AtStartup"/>, in parallel, and waits for them.</summary>
    /// <param name="cancellationToken">Ends the wait.</param>
    /// <returns>
    /// A task that completes when each of them runs or failed. Each failure is logged at error level and the plugin's
    /// <see cref="GetState"/> is <see cref="PluginState.Failed"/>; the next <see cref="GetAsync"/> tries again. By default failures
    /// are not thrown; see <see cref="PluginIpcOptions.ThrowOnStartupFailure"/>.
    /// </returns>
    /// <exception cref="PluginStartException">
    /// <see cref="PluginIpcOptions.ThrowOnStartupFailure"/> is set and at least one of them could not start. The message names each
    /// such plugin with its cause; the inner exception is the first one's failure. The plugins that did start keep running until
    /// the manager is stopped or disposed.
    /// </exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled.</exception>
    Task StartAsync(CancellationToken cancellationToken = default);

    /// <summary>
    /// Stops every started plugin gracefully, in parallel, each within its <see cref="PluginOptions.StopTimeout"/> (then its process tree
    /// is killed). Starts under way are cancelled. The manager takes no further calls. Safe to call more than once.
    /// </summary>
    /// <param name="cancellationToken">Ends the grace periods early: the remaining processes are killed.</param>
    /// <returns>A task that completes when no plugin process runs.</returns>
    Task StopAsync(CancellationToken cancellationToken = default);
}
