using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>
/// The host's handle on one plugin process: starts it, handshakes, calls it and handles its calls, watches its health,
/// collects its logs, restarts it per policy, and stops it.
/// </summary>
/// <remarks>
/// All members are thread safe. Register handlers before <see cref="StartAsync"/>; they carry over to restarted processes.
/// Calls made while the plugin is starting or restarting wait until it is ready, within the call's timeout.
/// </remarks>
public sealed partial class Plugin : IChunkPeer, IChunkCallShortcuts, Contracts.IContractPeer, IAsyncDisposable
{
    private static readonly IReadOnlyDictionary<string, string> s_noMetadata = new Dictionary<string, string>();

    private readonly PluginOptions _options;
    private readonly ILogger _logger;
    private readonly ILogger _processLogger;
    private readonly ILogger _pluginLogger;
    private readonly HandlerRegistry _handlers = new();
    private readonly PluginHistory _history;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    /// <summary>The <see cref="PluginOptions.TimeProvider"/> timestamps of the restarts within the policy's window, oldest first.</summary>
    private readonly Queue<long> _restarts = new();
    private readonly Lock _stateLock = new();
    private PluginInstance? _current;
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PluginState _state = PluginState.Created;
    private IReadOnlyDictionary<string, string> _metadata = s_noMetadata;
    private int _restartCount;
    private PluginExit? _lastExit;
    private Exception? _lastError;

    /// <summary>Initializes a handle on the plugin that <paramref name="options"/> describes; nothing starts until <see cref="StartAsync"/>.</summary>
    /// <param name="options">What to start and how.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message names the setting.</exception>
    public Plugin(PluginOptions options)
        : this(options, history: null)
    {
    }

    /// <summary>Initializes a handle that keeps its logs and exits in <paramref name="history"/>, shared with earlier plugins of its name.</summary>
    internal Plugin(PluginOptions options, PluginHistory? history)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Snapshot();
        _logger = _options.LoggerFactory.CreateLogger("PluginIpc.Plugin");
        _processLogger = _options.LoggerFactory.CreateLogger("PluginIpc.Processes");
        _pluginLogger = _options.LoggerFactory.CreateLogger("PluginIpc.Plugins." + Name);
        if (history is null)
        {
            history = new PluginHistory(_options.RecentLogCapacity, _options.RecentLogByteCapacity, _options.MaxOutputLineLength);
        }
        else
        {
            history.Resize(_options.RecentLogCapacity, _options.RecentLogByteCapacity, _options.MaxOutputLineLength);
        }

        _history = history;
        _handlers.HandleReserved(Commands.Log, OnLogMessage);
        _handlers.HandleReserved(Commands.BridgeMessage, OnBridgeMessage);
    }

    /// <summary>Occurs when <see cref="State"/> changes. Handlers run synchronously; exceptions they throw are logged and ignored.</summary>
    public event EventHandler<PluginStateChangedEventArgs>? StateChanged;

    /// <summary>Occurs when a plugin process exits, whether it was asked to or not.</summary>
    public event EventHandler<PluginExitedEventArgs>? Exited;

    /// <summary>Gets the plugin's name, as used in logs and errors.</summary>
    public string Name => _options.Name!;

    /// <inheritdoc/>
    /// <value>From <see cref="PluginOptions.CallTimeout"/>.</value>
    public TimeSpan DefaultCallTimeout => _options.CallTimeout;

    /// <inheritdoc/>
    public IPluginSerializer? Serializer => _options.Serializer;

    /// <summary>Gets where the plugin is in its life.</summary>
    public PluginState State
    {
        get
        {
            lock (_stateLock)
            {
                return _state;
            }
        }
    }

    /// <summary>Gets the metadata the plugin announced in the handshake (it includes <c>protocol</c> and <c>name</c>); empty before the first start.</summary>
    public IReadOnlyDictionary<string, string> Metadata => Volatile.Read(ref _metadata);

    /// <summary>Gets the operating system's id of the current plugin process, or <see langword="null"/> when none runs.</summary>
    public int? ProcessId => Volatile.Read(ref _current)?.Process.ProcessId;

    /// <summary>Gets how many times the plugin was restarted after a failure.</summary>
    public int RestartCount => Volatile.Read(ref _restartCount);

    /// <summary>Gets the last exit of the plugin's process, expected or not, or <see langword="null"/> when none exited yet.</summary>
    public PluginExit? LastExit => Volatile.Read(ref _lastExit);

    /// <summary>Gets why the plugin last stopped working (it disconnected, or failed for good), or <see langword="null"/>.</summary>
    internal Exception? LastError
    {
        get
        {
            lock (_stateLock)
            {
                return _lastError;
            }
        }
    }

    /// <inheritdoc/>
    /// <remarks>Handlers may be registered at any time; they reach the current process at once and carry over to restarted ones. Register them before <see cref="StartAsync"/> so that no early request finds them missing.</remarks>
    public void Handle(string cmd, ChunkHandler handler) => _handlers.Handle(cmd, handler);

    /// <inheritdoc/>
    public void HandleFallback(ChunkHandler? handler) => _handlers.HandleFallback(handler);

    /// <inheritdoc/>
    TimeProvider Contracts.IContractPeer.TimeProvider => _options.TimeProvider;

    /// <inheritdoc/>
    IReadOnlyDictionary<string, string>? Contracts.IContractPeer.RemoteMetadata => Metadata;

    /// <inheritdoc/>
    Channel? Contracts.IContractPeer.Connection => Volatile.Read(ref _current)?.Channel;

    /// <inheritdoc/>
    void Contracts.IContractPeer.HandleInline(string cmd, ChunkHandler handler) => _handlers.HandleInline(cmd, handler);

    /// <summary>Starts the plugin process and performs the handshake.</summary>
    /// <param name="cancellationToken">Cancels the start; a process already launched is killed.</param>
    /// <returns>A task that completes when the plugin is <see cref="PluginState.Running"/>.</returns>
    /// <exception cref="PluginStartException">The process could not start, exited, or did not answer the handshake in time; the message names the executable and ends with its last stderr lines.</exception>
    /// <exception cref="InvalidOperationException">The plugin was already started.</exception>
    /// <exception cref="OperationCanceledException"><paramref name="cancellationToken"/> was cancelled, or <see cref="StopAsync"/> was called meanwhile.</exception>
    public async Task StartAsync(CancellationToken cancellationToken = default)
    {
        await _lifecycle.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            if (State != PluginState.Created)
            {
                throw new InvalidOperationException($"Plugin '{Name}' was already started; create a new Plugin to start it again.");
            }

            SetState(PluginState.Starting, null);
            PluginInstance instance;
            try
            {
                // A stop cuts the start short (it waits for the lifecycle lock this holds): the launched process is killed.
                using var startOrStop = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken, _lifetime.Token);
                instance = await LaunchAsync(startOrStop.Token).ConfigureAwait(false);
            }
            catch (Exception ex)
            {
                SetState(PluginState.Failed, ex);
                _ready.TrySetObservedException(ex);
                throw;
            }

            BecomeRunning(instance);
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Waits until the plugin is running: at once if it is, after the start or restart under way otherwise.</summary>
    /// <param name="cancellationToken">Cancels the wait.</param>
    /// <returns>A task that completes when calls can go through.</returns>
    /// <exception cref="PluginStartException">The start failed.</exception>
    /// <exception cref="ChannelClosedException">The plugin stopped or failed for good.</exception>
    public Task WhenReadyAsync(CancellationToken cancellationToken = default) => Volatile.Read(ref _ready).Task.WaitAsync(cancellationToken);

    /// <inheritdoc/>
    /// <remarks>A call made while the plugin is starting or restarting waits until it is ready, within <paramref name="timeout"/>.</remarks>
    public Task<Chunk> CallAsync(Chunk request, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        TryGetRunningChannel() is { } channel
            ? channel.CallAsync(request, timeout, cancellationToken)
            : CallWhenReadyAsync(request, timeout, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>A message sent while the plugin is starting or restarting waits until it is ready, within <see cref="PluginOptions.CallTimeout"/>.</remarks>
    public async ValueTask NotifyAsync(Chunk message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        Channel channel = TryGetRunningChannel() ?? await GetChannelWhenReadyAsync(_options.CallTimeout, cancellationToken).ConfigureAwait(false);
        await channel.NotifyAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    Task<TAnswer> IChunkCallShortcuts.CallAsync<TAnswer>(string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, Func<ReceivedChunk, TAnswer> answer, CancellationToken cancellationToken) =>
        TryGetRunningChannel() is IChunkCallShortcuts channel
            ? channel.CallAsync(cmd, buffer, headers, timeout, answer, cancellationToken)
            : CallWhenReadyAsync(cmd, buffer, headers, timeout, answer, cancellationToken);

    /// <inheritdoc/>
    async ValueTask IChunkCallShortcuts.NotifyAsync(string cmd, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        IChunkCallShortcuts channel = TryGetRunningChannel() ?? await GetChannelWhenReadyAsync(_options.CallTimeout, cancellationToken).ConfigureAwait(false);
        await channel.NotifyAsync(cmd, buffer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns the plugin's recent output lines and log entries, oldest first, across restarts.</summary>
    /// <returns>Up to <see cref="PluginOptions.RecentLogCapacity"/> entries, within <see cref="PluginOptions.RecentLogByteCapacity"/>.</returns>
    public IReadOnlyList<PluginLogEntry> GetRecentLogs() => _history.Logs();

    /// <summary>Returns the kept output lines and log entries that match <paramref name="query"/>, newest first (see <see cref="GetRecentLogs"/> for what is kept).</summary>
    /// <param name="query">The conditions; its <see cref="PluginLogQuery.Plugin"/>, if set, must be this plugin's name.</param>
    /// <returns>Up to <see cref="PluginLogQuery.MaxEntries"/> entries, newest first; empty when <see cref="PluginLogQuery.Plugin"/> names another plugin.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A value of <paramref name="query"/> is out of range.</exception>
    public IReadOnlyList<PluginLogEntry> QueryLogs(PluginLogQuery query)
    {
        ArgumentNullException.ThrowIfNull(query);
        query.Validate();
        return query.Plugin is null || query.Plugin == Name ? _history.Query(query) : [];
    }

    /// <summary>Gets the recent exits of the plugin's processes, newest first, up to <see cref="PluginHistory.ExitCapacity"/>.</summary>
    internal PluginExit[] ExitHistory => _history.Exits();

    /// <summary>Gets when the current process was connected, or <see langword="null"/> when none runs.</summary>
    internal DateTimeOffset? StartedAt => Volatile.Read(ref _current)?.StartedAt;

    /// <summary>
    /// Stops the plugin: sends <c>cmd.stop</c>, waits up to <see cref="PluginOptions.StopTimeout"/> for the process to exit,
    /// then kills its process tree. Calls still waiting fail with <see cref="ChannelClosedException"/>. Safe to call more than once.
    /// </summary>
    /// <param name="cancellationToken">Ends the wait early; the process tree is then killed.</param>
    /// <returns>A task that completes when no plugin process runs.</returns>
    public async Task StopAsync(CancellationToken cancellationToken = default)
    {
        // First stop supervision, so a restart under way gives up instead of holding the lifecycle lock.
        await _lifetime.CancelAsync().ConfigureAwait(false);
        await _lifecycle.WaitAsync(CancellationToken.None).ConfigureAwait(false);
        try
        {
            if (State is PluginState.Stopped)
            {
                return;
            }

            PluginInstance? instance = Interlocked.Exchange(ref _current, null);
            if (State is not PluginState.Failed and not PluginState.Created)
            {
                SetState(PluginState.Stopping, null);
            }

            if (instance is not null)
            {
                await StopInstanceAsync(instance, cancellationToken).ConfigureAwait(false);
            }

            SetState(PluginState.Stopped, null);
            Volatile.Read(ref _ready).TrySetObservedException(new ChannelClosedException($"Plugin '{Name}' was stopped."));
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Stops the plugin (see <see cref="StopAsync"/>). Safe to call more than once; never throws.</summary>
    /// <returns>A task that completes when no plugin process runs.</returns>
    public async ValueTask DisposeAsync()
    {
        try
        {
            await StopAsync(CancellationToken.None).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            PluginLog.StopFailed(_logger, Name, ex);
        }
    }

    /// <inheritdoc/>
    public override string ToString() => $"Plugin '{Name}' ({State})";

    private Channel? TryGetRunningChannel()
    {
        PluginInstance? instance = Volatile.Read(ref _current);
        return instance is not null && instance.Channel.IsOpen && instance.IsReady ? instance.Channel : null;
    }

    // The waits for readiness are methods of their own, not lambdas: a lambda's captures would be allocated on every call,
    // the running plugin's included.
    private async Task<Chunk> CallWhenReadyAsync(Chunk request, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Channel channel = await GetChannelWhenReadyAsync(timeout, cancellationToken).ConfigureAwait(false);
        return await channel.CallAsync(request, timeout, cancellationToken).ConfigureAwait(false);
    }

    private async Task<TAnswer> CallWhenReadyAsync<TAnswer>(string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, Func<ReceivedChunk, TAnswer> answer, CancellationToken cancellationToken)
    {
        IChunkCallShortcuts channel = await GetChannelWhenReadyAsync(timeout, cancellationToken).ConfigureAwait(false);
        return await channel.CallAsync(cmd, buffer, headers, timeout, answer, cancellationToken).ConfigureAwait(false);
    }

    private async Task<Channel> GetChannelWhenReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        PluginState state = State;
        if (state is PluginState.Created)
        {
            throw new InvalidOperationException($"Plugin '{Name}' is not started; call StartAsync first.");
        }

        long started = _options.TimeProvider.GetTimestamp();
        while (true)
        {
            TimeSpan left = timeout == Timeout.InfiniteTimeSpan ? timeout : timeout - _options.TimeProvider.GetElapsedTime(started);
            try
            {
                // Ready, or else the process that just went away (its channel is closed, and supervision has not taken it
                // over yet): its supervision restarts it, or says why not. A call made in between waits for that too.
                TaskCompletionSource readiness = Volatile.Read(ref _ready);
                Task ready = readiness.Task;
                bool supervising = false;
                if (ready.IsCompletedSuccessfully && TryGetRunningChannel() is null && Volatile.Read(ref _current) is { Supervision: { IsCompleted: false } supervision })
                {
                    ready = supervision;
                    supervising = true;
                }
                else if (ready.IsCompletedSuccessfully)
                {
                    if (TryGetRunningChannel() is { } running)
                    {
                        return running;
                    }

                    if (!ReferenceEquals(readiness, Volatile.Read(ref _ready)))
                    {
                        continue; // supervision took the process over meanwhile: wait for what it does
                    }

                    throw new ChannelClosedException($"Plugin '{Name}' is not running (state {State}).");
                }

                try
                {
                    await (left == Timeout.InfiniteTimeSpan ? ready.WaitAsync(cancellationToken) : ready.WaitAsync(left > TimeSpan.Zero ? left : TimeSpan.Zero, _options.TimeProvider, cancellationToken)).ConfigureAwait(false);
                }
                catch (Exception ex) when (supervising && ex is not TimeoutException && !cancellationToken.IsCancellationRequested)
                {
                    // Supervision's own failure is not the call's: the next pass says where the plugin stands.
                }
            }
            catch (TimeoutException ex)
            {
                throw new TimeoutException($"Plugin '{Name}' did not become ready within {timeout} (state {State}).", ex);
            }

            if (TryGetRunningChannel() is { } channel)
            {
                return channel;
            }
        }
    }
}
