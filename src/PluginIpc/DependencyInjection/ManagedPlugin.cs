namespace PluginIpc;

/// <summary>One plugin of a <see cref="PluginManager"/>: its definition, its history, and the one start (or started instance) that all callers share.</summary>
/// <remarks>Thread safe: the current start is read and replaced under a lock, so concurrent first uses start one process.</remarks>
internal sealed class ManagedPlugin
{
    private readonly Lock _lock = new();
    private readonly PluginManager _manager;
    private Task<Plugin>? _current;
    private bool _held;
    private PluginOptions? _lastOptions;
    private PluginHistory? _history;

    public ManagedPlugin(PluginManager manager, PluginDefinition definition)
    {
        _manager = manager;
        Definition = definition;
    }

    public PluginDefinition Definition { get; }

    /// <summary>Gets the lock that lets one start, stop or restart by name run at a time.</summary>
    public SemaphoreSlim Control { get; } = new(1, 1);

    /// <summary>Gets the plugin's state, as <see cref="IPluginManager.GetState"/> documents it; never starts it.</summary>
    public PluginState State
    {
        get
        {
            lock (_lock)
            {
                return StateOf(_current, _held);
            }
        }
    }

    /// <summary>Gets the plugin's history (logs and exits), shared by every <see cref="Plugin"/> of its name; <see langword="null"/> before the first one.</summary>
    public PluginHistory? History => Volatile.Read(ref _history);

    /// <summary>Gets the plugin's status, as <see cref="IPluginManager.GetStatus"/> documents it; never starts it.</summary>
    public PluginStatus Status
    {
        get
        {
            // One snapshot of the current start: state, process and history all come from the same start.
            Task<Plugin>? current;
            bool held;
            PluginOptions? options;
            lock (_lock)
            {
                current = _current;
                held = _held;
                options = _lastOptions;
            }

            PluginState state = StateOf(current, held);
            (string[] published, string[] subscriptions) = _manager.TopicsOf(Definition.Name);
            var status = new PluginStatus(Definition.Name, state)
            {
                IsHeld = held,
                Framer = options?.Framer,
                Transport = options?.Transport,
                Exits = History?.Exits() ?? [],
                PublishedTopics = published,
                Subscriptions = subscriptions,
            };
            if (current is { IsCompletedSuccessfully: true })
            {
                Plugin plugin = current.Result;
                return status with
                {
                    ProcessId = plugin.ProcessId,
                    StartedAt = plugin.StartedAt,
                    RestartCount = plugin.RestartCount,
                    LastExit = plugin.LastExit,
                    LastError = plugin.LastError?.Message,
                    Metadata = plugin.ProcessId is null ? status.Metadata : plugin.Metadata,
                };
            }

            string? error = state == PluginState.Failed ? current?.Exception?.InnerException?.Message : null;
            PluginExit? lastExit = status.Exits.Count > 0 ? status.Exits[0] : null;
            return status with { LastError = error, LastExit = lastExit };
        }
    }

    /// <summary>
    /// Returns the shared start of the plugin: the one under way or done, or a new one when there is none, the last one failed,
    /// or its plugin failed for good or was stopped.
    /// </summary>
    /// <exception cref="ObjectDisposedException">The manager is stopping.</exception>
    /// <exception cref="PluginStartException">The plugin was stopped with <see cref="IPluginManager.StopPluginAsync"/> and not started since.</exception>
    public Task<Plugin> GetOrStart()
    {
        lock (_lock)
        {
            ObjectDisposedException.ThrowIf(_manager.IsStopping, _manager);
            if (_held)
            {
                throw new PluginStartException($"Plugin '{Definition.Name}' was stopped with IPluginManager.StopPluginAsync(\"{Definition.Name}\"); IPluginManager.StartPluginAsync or RestartPluginAsync with its name starts it again.");
            }

            Task<Plugin>? current = _current;
            if (current is null || current.IsFaulted || current.IsCanceled || (current.IsCompletedSuccessfully && current.Result.State is PluginState.Failed or PluginState.Stopped))
            {
                Plugin? previous = current is { IsCompletedSuccessfully: true } ? current.Result : null;

                // Run the start (and the user's setup code) off the lock and off the caller's synchronization context.
                _current = current = Task.Run(() => _manager.StartPluginAsync(this, previous));
                current.Forget(); // A failed start that no caller awaits any more (a stop, a cancelled wait) is not an unobserved exception.
            }

            return current;
        }
    }

    /// <summary>Sets whether the plugin stays stopped (<see cref="GetOrStart"/> refuses) until released.</summary>
    public void Hold(bool held)
    {
        lock (_lock)
        {
            _held = held;
        }
    }

    /// <summary>Creates the <see cref="Plugin"/> for a start from <paramref name="options"/>, with the history of its name.</summary>
    public Plugin Create(PluginOptions options)
    {
        PluginHistory history = LazyInitializer.EnsureInitialized(
            ref _history,
            () => new PluginHistory(options.RecentLogCapacity, options.RecentLogByteCapacity, options.MaxOutputLineLength));
        var plugin = new Plugin(options, history);
        lock (_lock)
        {
            _lastOptions = options;
        }

        return plugin;
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

    /// <summary>A held plugin whose last start never ran or failed is Stopped: an operator stopped it, whatever came before.</summary>
    private static PluginState StateOf(Task<Plugin>? start, bool held) =>
        held && start is null or { IsFaulted: true } or { IsCanceled: true } ? PluginState.Stopped : StateOf(start);

    private static PluginState StateOf(Task<Plugin>? start) => start switch
    {
        null => PluginState.Created,
        { IsCompletedSuccessfully: true } => start.Result.State,
        { IsCompleted: false } => PluginState.Starting,
        { Exception.InnerException: ObjectDisposedException } => PluginState.Stopped, // the manager stopped during the start
        _ => PluginState.Failed,
    };
}
