namespace PluginIpc;

/// <summary>One plugin of a <see cref="PluginManager"/>: its definition and the one start (or started instance) that all callers share.</summary>
/// <remarks>Thread safe: the current start is read and replaced under a lock, so concurrent first uses start one process.</remarks>
internal sealed class ManagedPlugin
{
    private readonly Lock _lock = new();
    private readonly PluginManager _manager;
    private Task<Plugin>? _current;

    public ManagedPlugin(PluginManager manager, PluginDefinition definition)
    {
        _manager = manager;
        Definition = definition;
    }

    public PluginDefinition Definition { get; }

    /// <summary>Gets the plugin's state, as <see cref="IPluginManager.GetState"/> documents it; never starts it.</summary>
    public PluginState State => StateOf(Current);

    /// <summary>Gets the plugin's status, as <see cref="IPluginManager.GetStatus"/> documents it; never starts it.</summary>
    public PluginStatus Status
    {
        get
        {
            // One snapshot of the current start: state, process and history all come from the same start.
            Task<Plugin>? current = Current;
            PluginState state = StateOf(current);
            if (current is { IsCompletedSuccessfully: true })
            {
                Plugin plugin = current.Result;
                return new PluginStatus(Definition.Name, state, plugin.ProcessId, plugin.RestartCount, plugin.LastExit, plugin.LastError?.Message);
            }

            string? error = state == PluginState.Failed ? current?.Exception?.InnerException?.Message : null;
            return new PluginStatus(Definition.Name, state, null, 0, null, error);
        }
    }

    private Task<Plugin>? Current
    {
        get
        {
            lock (_lock)
            {
                return _current;
            }
        }
    }

    /// <summary>
    /// Returns the shared start of the plugin: the one under way or done, or a new one when there is none, the last one failed,
    /// or its plugin failed for good or was stopped.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The manager is stopping.</exception>
    public Task<Plugin> GetOrStart()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_manager.IsStopping, _manager);
            Task<Plugin>? current = _current;
            if (current is null || current.IsFaulted || current.IsCanceled || (current.IsCompletedSuccessfully && current.Result.State is PluginState.Failed or PluginState.Stopped))
            {
                Plugin? previous = current is { IsCompletedSuccessfully: true } ? current.Result : null;

                // Run the start (and the user's setup code) off the lock and off the caller's synchronization context.
                _current = current = Task.Run(() => _manager.StartPluginAsync(Definition, previous));
                current.Forget(); // A failed start that no caller awaits any more (a stop, a cancelled wait) is not an unobserved exception.
            }

            return current;
        }
    }

    /// <summary>Stops the plugin if it was started; a start under way is awaited first (the manager has cancelled it).</summary>
    /// <returns>A task that never faults.</returns>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        Task<Plugin>? current;
        lock (_lock)
        {
            current = _current;
        }

        if (current is null)
        {
            return;
        }

        await ((Task)current).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (current.IsCompletedSuccessfully)
        {
            await _manager.StopPluginAsync(current.Result, cancellationToken).ConfigureAwait(false);
        }
    }

    private static PluginState StateOf(Task<Plugin>? start) => start switch
    {
        null => PluginState.Created,
        { IsCompletedSuccessfully: true } => start.Result.State,
        { IsCompleted: false } => PluginState.Starting,
        { Exception.InnerException: ObjectDisposedException } => PluginState.Stopped, // the manager stopped during the start
        _ => PluginState.Failed,
    };
}
