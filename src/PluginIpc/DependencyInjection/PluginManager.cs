using System.Diagnostics.Metrics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace PluginIpc;

/// <summary>The <see cref="IPluginManager"/> that <c>AddPluginIpc</c> registers as a singleton.</summary>
/// <remarks>
/// <para>Thread safe. The catalog of plugins (registrations and discovery) is built once, on first need.</para>
/// <para>
/// <see cref="DisposeAsync"/> stops every plugin like <see cref="StopAsync(CancellationToken)"/>. The synchronous <see cref="Dispose"/>, which a service
/// provider disposed with <c>Dispose()</c> calls, does the same: it runs the stop on the thread pool, where no synchronization
/// context can deadlock it, and blocks until it completes, which takes at most about the longest <see cref="PluginOptions.StopTimeout"/>
/// since the stops run in parallel. Prefer <c>DisposeAsync</c>.
/// </para>
/// </remarks>
internal sealed class PluginManager : IPluginManager, IAsyncDisposable, IDisposable
{
    private readonly PluginIpcOptions _options;
    private readonly IOptionsFactory<PluginOptions> _pluginOptions;
    private readonly IEnumerable<PluginRegistration> _registrations;
    private readonly IServiceProvider _services;
    private readonly ILoggerFactory _loggerFactory;
    private readonly IMeterFactory? _meterFactory;
    private readonly TimeProvider? _timeProvider;
    private readonly ILogger _logger;
    private readonly HostBus _bus;
    private readonly PluginConfigStore _config;
    private readonly Lazy<Dictionary<string, ManagedPlugin>> _plugins;
    private readonly CancellationTokenSource _lifetime = new();
    private readonly bool _throwOnStartupFailure;
    private readonly CancellationToken _lifetimeToken;
    private readonly Lock _lock = new();
    private IReadOnlyList<PluginDiscoveryError> _discoveryErrors = [];
    private Task? _stopping;
    private volatile bool _isStopping;

    public PluginManager(IOptions<PluginIpcOptions> options, IOptionsFactory<PluginOptions> pluginOptions, IEnumerable<PluginRegistration> registrations, HostBus bus, PluginConfigStore config, IServiceProvider services)
    {
        ArgumentNullException.ThrowIfNull(bus);
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(pluginOptions);
        ArgumentNullException.ThrowIfNull(registrations);
        ArgumentNullException.ThrowIfNull(services);
        _options = options.Value;
        _throwOnStartupFailure = _options.ThrowOnStartupFailure;
        _pluginOptions = pluginOptions;
        _registrations = registrations;
        _services = services;
        _loggerFactory = services.GetService<ILoggerFactory>() ?? NullLoggerFactory.Instance;
        _meterFactory = services.GetService<IMeterFactory>();
        _timeProvider = services.GetService<TimeProvider>();
        _logger = _loggerFactory.CreateLogger("PluginIpc.PluginManager");
        _lifetimeToken = _lifetime.Token;
        _bus = bus;
        _config = config;
        bus.RestartPlugin = name => RestartIfRunningAsync(name, _lifetimeToken);
        _plugins = new Lazy<Dictionary<string, ManagedPlugin>>(BuildCatalog, LazyThreadSafetyMode.ExecutionAndPublication);
    }

    /// <inheritdoc/>
    public IReadOnlyCollection<string> Names => [.. _plugins.Value.Keys];

    /// <inheritdoc/>
    public IReadOnlyList<PluginDiscoveryError> DiscoveryErrors
    {
        get
        {
            _ = _plugins.Value;
            return _discoveryErrors;
        }
    }

    /// <summary>Gets a value indicating whether <see cref="StopAsync(CancellationToken)"/> has begun: no plugin starts any more.</summary>
    internal bool IsStopping => _isStopping;

    /// <inheritdoc/>
    public async Task<Plugin> GetAsync(string name, CancellationToken cancellationToken = default)
    {
        ManagedPlugin entry = Find(name);
        Plugin plugin = await entry.GetOrStart().WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            // Restarting after a crash: wait for the replacement process, as calls do.
            await plugin.WhenReadyAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (ChannelClosedException ex)
        {
            ObjectDisposedException.ThrowIf(_isStopping, this);
            throw new PluginStartException($"Plugin '{name}' stopped working ({plugin.State}): {ex.Message} The next GetAsync starts it again.", ex);
        }

        return plugin;
    }

    /// <inheritdoc/>
    public PluginState GetState(string name) => Find(name).State;

    /// <inheritdoc/>
    public PluginStatus GetStatus(string name) => Find(name).Status;

    /// <inheritdoc/>
    public Task StartPluginAsync(string name, CancellationToken cancellationToken = default)
    {
        ManagedPlugin entry = Find(name);
        return ControlAsync(entry, async () =>
        {
            PluginManagerLog.StartRequested(_logger, name);
            entry.Hold(false);
            await GetAsync(name, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task StopPluginAsync(string name, CancellationToken cancellationToken = default)
    {
        ManagedPlugin entry = Find(name);
        return ControlAsync(entry, async () =>
        {
            PluginManagerLog.StopRequested(_logger, name);
            entry.Hold(true);
            await entry.StopAsync(cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public Task RestartPluginAsync(string name, CancellationToken cancellationToken = default)
    {
        ManagedPlugin entry = Find(name);
        return ControlAsync(entry, async () =>
        {
            PluginManagerLog.RestartRequested(_logger, name);
            entry.Hold(false);
            await entry.StopAsync(cancellationToken).ConfigureAwait(false);
            await GetAsync(name, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <inheritdoc/>
    public IReadOnlyList<PluginLogEntry> QueryLogs(PluginLogQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        if (query.Plugin is { } name)
        {
            return Find(name).History?.Query(query) ?? [];
        }

        // Each plugin's newest matches, then the newest of them all: no plugin's history is copied more than once.
        return [.. _plugins.Value.Values
            .SelectMany(entry => entry.History?.Query(query) ?? [])
            .OrderByDescending(entry => entry.Timestamp)
            .Take(query.MaxEntries)];
    }

    /// <summary>Returns the bus topics the plugin named <paramref name="name"/> published to and subscribes to.</summary>
    internal (string[] Published, string[] Subscriptions) TopicsOf(string name) => _bus.TopicsOf(name);

    /// <inheritdoc/>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        var names = new List<string>();
        var starts = new List<Task<PluginStartException?>>();
        foreach (ManagedPlugin entry in _plugins.Value.Values)
        {
            if (entry.Definition.StartMode == StartMode.AtStartup)
            {
                names.Add(entry.Definition.Name);
                starts.Add(StartAtStartupAsync(entry.Definition.Name, cancellationToken));
            }
        }

        PluginStartException?[] failures = await Task.WhenAll(starts).ConfigureAwait(false);
        cancellationToken.ThrowIfCancellationRequested();
        if (_throwOnStartupFailure)
        {
            ThrowIfAnyFailed(names, failures);
        }
    }

    /// <inheritdoc/>
    public Task StopAsync(CancellationToken cancellationToken = default)
    {
        lock (_lock)
        {
            if (_stopping is null)
            {
                _isStopping = true;
                _stopping = StopAllAsync(cancellationToken);
            }

            return _stopping;
        }
    }

    /// <summary>Stops every plugin (see <see cref="StopAsync(CancellationToken)"/>). Safe to call more than once; never throws.</summary>
    /// <returns>A task that completes when no plugin process runs.</returns>
    public async ValueTask DisposeAsync()
    {
        await StopAsync(CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _lifetime.Dispose();
    }

    /// <summary>Stops every plugin and blocks until they are stopped; see the remarks of <see cref="PluginManager"/>. Never throws.</summary>
    public void Dispose() =>
        // The stop runs on the thread pool, away from any synchronization context of the caller, so blocking on it cannot deadlock.
        Task.Run(async () => await DisposeAsync().ConfigureAwait(false)).GetAwaiter().GetResult();

    /// <summary>Creates, sets up and starts a new <see cref="Plugin"/> for <paramref name="entry"/>, after disposing <paramref name="previous"/>.</summary>
    /// <exception cref="PluginStartException">The options are invalid, the executable is missing, setup code threw, or the start failed.</exception>
    /// <exception cref="ObjectDisposedException">The manager began to stop.</exception>
    internal async Task<Plugin> StartPluginAsync(ManagedPlugin entry, Plugin? previous)
    {
        PluginDefinition definition = entry.Definition;
        if (previous is not null)
        {
            await previous.DisposeAsync().ConfigureAwait(false);
        }

        Plugin? plugin = null;
        try
        {
            // Inside the try: a misconfiguration or a missing executable is a start failure like any other, and logged as one.
            plugin = CreatePlugin(entry);
            foreach (Action<Plugin, IServiceProvider> setup in definition.Setups)
            {
                setup(plugin, _services);
            }

            PluginManagerLog.Starting(_logger, definition.Name, definition.StartMode);
            await plugin.StartAsync(_lifetimeToken).ConfigureAwait(false);
            return plugin;
        }
        catch (Exception ex)
        {
            if (plugin is not null)
            {
                await plugin.DisposeAsync().ConfigureAwait(false);
            }

            if (ex is OperationCanceledException && _lifetimeToken.IsCancellationRequested)
            {
                throw new ObjectDisposedException(nameof(PluginManager), $"Plugin '{definition.Name}' was not started: the plugin manager is stopping.");
            }

            PluginManagerLog.StartFailed(_logger, definition.Name, ex.Message, ex);
            throw ex as PluginStartException ?? new PluginStartException($"Plugin '{definition.Name}' failed to start: {ex.Message}", ex);
        }
    }

    /// <summary>Stops the plugin named <paramref name="name"/> if it runs, and starts it anew (for <c>sys.restart</c>).</summary>
    internal Task RestartIfRunningAsync(string name, CancellationToken cancellationToken)
    {
        ManagedPlugin entry = Find(name);
        return ControlAsync(entry, async () =>
        {
            if (entry.State is not (PluginState.Running or PluginState.Restarting))
            {
                return; // only a plugin that runs is restarted; one never started, stopped or failed stays as it is
            }

            await entry.StopAsync(cancellationToken).ConfigureAwait(false);
            await GetAsync(name, cancellationToken).ConfigureAwait(false);
        }, cancellationToken);
    }

    /// <summary>Runs one start, stop or restart of <paramref name="entry"/> at a time, in the order asked, so none undoes another half-way.</summary>
    private async Task ControlAsync(ManagedPlugin entry, Func<Task> control, CancellationToken cancellationToken)
    {
        ObjectDisposedException.ThrowIf(_isStopping, this);
        await entry.Control.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            ObjectDisposedException.ThrowIf(_isStopping, this);
            await control().ConfigureAwait(false);
        }
        finally
        {
            entry.Control.Release();
        }
    }

    /// <summary>Stops <paramref name="plugin"/>; failures are logged.</summary>
    internal async Task StopPluginAsync(Plugin plugin, CancellationToken cancellationToken)
    {
        try
        {
            await plugin.StopAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            PluginManagerLog.StopFailed(_logger, plugin.Name, ex);
        }
    }

    /// <summary>Builds the plugin's options, checks them, and creates the (unstarted) plugin.</summary>
    private Plugin CreatePlugin(ManagedPlugin entry)
    {
        PluginDefinition definition = entry.Definition;
        string source = definition.ManifestPath is null ? $"Plugin '{definition.Name}'" : $"Plugin '{definition.Name}' (from {definition.ManifestPath})";
        PluginOptions options;
        try
        {
            options = definition.CreateOptions();
        }
        catch (OptionsValidationException ex)
        {
            // The validator's failures each begin with the plugin's name already.
            string prefix = $"Plugin '{definition.Name}': ";
            throw new PluginStartException($"{source} is misconfigured: {string.Join(" ", ex.Failures.Select(f => f.StartsWith(prefix, StringComparison.Ordinal) ? f[prefix.Length..] : f))}", ex);
        }
        catch (Exception ex) when (ex is ArgumentException or InvalidOperationException)
        {
            throw new PluginStartException($"{source} is misconfigured: {ex.Message}", ex);
        }

        List<string> problems = PluginOptionsValidator.GetProblems(options);
        if (problems.Count > 0)
        {
            throw new PluginStartException($"{source} is misconfigured: {string.Join(" ", problems)}");
        }

        if (string.IsNullOrWhiteSpace(options.Name))
        {
            options.Name = definition.Name;
        }

        if (ReferenceEquals(options.LoggerFactory, NullLoggerFactory.Instance))
        {
            options.LoggerFactory = _loggerFactory;
        }

        options.MeterFactory ??= _meterFactory; // the application's meters, when it has them (the generic host registers a factory)
        if (_timeProvider is not null && ReferenceEquals(options.TimeProvider, TimeProvider.System))
        {
            options.TimeProvider = _timeProvider; // a clock the application registered, such as a test's fake one
        }

        try
        {
            Plugin plugin = entry.Create(options);
            _bus.Attach(plugin, options.BusPublishTopics, options.BusSubscribeTopics);
            HostConfigCommands.Attach(plugin, _config, options.AllowSystemConfigWrites, _logger);
            return plugin;
        }
        catch (ArgumentException ex)
        {
            throw new PluginStartException($"{source} is misconfigured: {ex.Message}", ex);
        }
    }

    private Dictionary<string, ManagedPlugin> BuildCatalog()
    {
        PluginCatalog catalog = PluginCatalog.Build(_registrations, _options, _pluginOptions.Create, _logger);
        _discoveryErrors = catalog.Errors;
        var plugins = new Dictionary<string, ManagedPlugin>(StringComparer.Ordinal);
        foreach (PluginDefinition definition in catalog.Definitions.Values)
        {
            plugins.Add(definition.Name, new ManagedPlugin(this, definition));
        }

        return plugins;
    }

    /// <summary>Throws one <see cref="PluginStartException"/> naming each plugin in <paramref name="names"/> whose start failed, if any did.</summary>
    private static void ThrowIfAnyFailed(List<string> names, PluginStartException?[] failures)
    {
        List<(string Name, PluginStartException Failure)> failed = [.. names.Zip(failures)
            .Where(start => start.Second is not null)
            .Select(start => (start.First, start.Second!))
            .OrderBy(start => start.First, StringComparer.Ordinal)];
        if (failed.Count == 0)
        {
            return;
        }

        var message = new StringBuilder();
        message.Append(CultureInfo.InvariantCulture, $"{failed.Count} of {names.Count} AtStartup plugins failed to start (PluginIpcOptions.ThrowOnStartupFailure is set): ")
            .AppendJoin(", ", failed.Select(f => $"'{f.Name}'"))
            .Append('.');
        foreach ((string name, PluginStartException failure) in failed)
        {
            message.AppendLine().Append(CultureInfo.InvariantCulture, $"- '{name}': {failure.Message}");
        }

        throw new PluginStartException(message.ToString(), failed[0].Failure);
    }

    private ManagedPlugin Find(string name)
    {
        ArgumentNullException.ThrowIfNull(name);
        if (!_plugins.Value.TryGetValue(name, out ManagedPlugin? entry))
        {
            string known = _plugins.Value.Count == 0 ? "none" : string.Join(", ", _plugins.Value.Keys.Order(StringComparer.Ordinal));
            throw new KeyNotFoundException($"No plugin named '{name}' is registered or discovered (known plugins: {known}).");
        }

        return entry;
    }

    /// <summary>Starts one AtStartup plugin; returns why it could not start, or <see langword="null"/> when it runs or the start was abandoned.</summary>
    private async Task<PluginStartException?> StartAtStartupAsync(string name, CancellationToken cancellationToken)
    {
        try
        {
            await GetAsync(name, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (PluginStartException ex)
        {
            return ex; // the next GetAsync retries
        }
        catch (Exception ex) when (ex is ObjectDisposedException || (ex is OperationCanceledException && cancellationToken.IsCancellationRequested))
        {
            return null; // the manager is stopping, or the caller gave up waiting: not a failure of the plugin
        }
    }

    private async Task StopAllAsync(CancellationToken cancellationToken)
    {
        // No new starts; starts under way are cancelled (their processes killed) and then awaited by the entries.
        await _lifetime.CancelAsync().ConfigureAwait(false);
        if (!_plugins.IsValueCreated)
        {
            return; // nothing was ever started
        }

        ICollection<ManagedPlugin> entries = [.. _plugins.Value.Values];
        PluginManagerLog.Stopping(_logger, entries.Count);
        await Task.WhenAll(entries.Select(entry => entry.StopAsync(cancellationToken))).ConfigureAwait(false);
        PluginManagerLog.Stopped(_logger);
    }
}
