using System.Text;
using System.Text.Json;
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
public sealed class Plugin : IChunkPeer, IChunkCallShortcuts, IAsyncDisposable
{
    private static readonly IReadOnlyDictionary<string, string> s_noMetadata = new Dictionary<string, string>();

    private readonly PluginOptions _options;
    private readonly ILogger _logger;
    private readonly ILogger _processLogger;
    private readonly ILogger _pluginLogger;
    private readonly HandlerRegistry _handlers = new();
    private readonly RingBuffer<PluginLogEntry> _recentLogs;
    private readonly SemaphoreSlim _lifecycle = new(1, 1);
    private readonly CancellationTokenSource _lifetime = new();
    private readonly Queue<DateTimeOffset> _restarts = new();
    private readonly Lock _stateLock = new();
    private PluginInstance? _current;
    private TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private PluginState _state = PluginState.Created;
    private IReadOnlyDictionary<string, string> _metadata = s_noMetadata;
    private int _restartCount;

    /// <summary>Initializes a handle on the plugin that <paramref name="options"/> describes; nothing starts until <see cref="StartAsync"/>.</summary>
    /// <param name="options">What to start and how.</param>
    /// <exception cref="ArgumentException">The options are invalid; the message names the setting.</exception>
    public Plugin(PluginOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options.Snapshot();
        _logger = _options.LoggerFactory.CreateLogger("PluginIpc.Plugin");
        _processLogger = _options.LoggerFactory.CreateLogger("PluginIpc.Processes");
        _pluginLogger = _options.LoggerFactory.CreateLogger("PluginIpc.Plugins." + Name);
        _recentLogs = new RingBuffer<PluginLogEntry>(_options.RecentLogCapacity);
        _handlers.HandleReserved(Commands.Log, OnLogMessage);
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

    /// <inheritdoc/>
    /// <remarks>Handlers may be registered at any time; they reach the current process at once and carry over to restarted ones. Register them before <see cref="StartAsync"/> so that no early request finds them missing.</remarks>
    public void Handle(string cmd, ChunkHandler handler) => _handlers.Handle(cmd, handler);

    /// <inheritdoc/>
    public void HandleFallback(ChunkHandler? handler) => _handlers.HandleFallback(handler);

    /// <summary>Starts the plugin process and performs the handshake.</summary>
    /// <param name="cancellationToken">Cancels the start; a process already launched is killed.</param>
    /// <returns>A task that completes when the plugin is <see cref="PluginState.Running"/>.</returns>
    /// <exception cref="PluginStartException">The process could not start, exited, or did not answer the handshake in time; the message names the executable and ends with its last stderr lines.</exception>
    /// <exception cref="InvalidOperationException">The plugin was already started.</exception>
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
                instance = await LaunchAsync(cancellationToken).ConfigureAwait(false);
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
            : CallWhenReadyAsync(c => c.CallAsync(request, timeout, cancellationToken), timeout, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>A message sent while the plugin is starting or restarting waits until it is ready, within <see cref="PluginOptions.CallTimeout"/>.</remarks>
    public async ValueTask NotifyAsync(Chunk message, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(message);
        Channel channel = TryGetRunningChannel() ?? await GetChannelWhenReadyAsync(_options.CallTimeout, cancellationToken).ConfigureAwait(false);
        await channel.NotifyAsync(message, cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    Task<TAnswer> IChunkCallShortcuts.CallAsync<TAnswer>(string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, Func<Chunk, TAnswer> answer, CancellationToken cancellationToken) =>
        TryGetRunningChannel() is IChunkCallShortcuts channel
            ? channel.CallAsync(cmd, buffer, headers, timeout, answer, cancellationToken)
            : CallWhenReadyAsync(c => ((IChunkCallShortcuts)c).CallAsync(cmd, buffer, headers, timeout, answer, cancellationToken), timeout, cancellationToken);

    /// <inheritdoc/>
    async ValueTask IChunkCallShortcuts.NotifyAsync(string cmd, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken)
    {
        IChunkCallShortcuts channel = TryGetRunningChannel() ?? await GetChannelWhenReadyAsync(_options.CallTimeout, cancellationToken).ConfigureAwait(false);
        await channel.NotifyAsync(cmd, buffer, cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Returns the plugin's recent output lines and log entries, oldest first, across restarts.</summary>
    /// <returns>Up to <see cref="PluginOptions.RecentLogCapacity"/> entries.</returns>
    public IReadOnlyList<PluginLogEntry> GetRecentLogs() => _recentLogs.Snapshot();

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

    private async Task<T> CallWhenReadyAsync<T>(Func<Channel, Task<T>> call, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Channel channel = await GetChannelWhenReadyAsync(timeout, cancellationToken).ConfigureAwait(false);
        return await call(channel).ConfigureAwait(false);
    }

    private async Task<Channel> GetChannelWhenReadyAsync(TimeSpan timeout, CancellationToken cancellationToken)
    {
        PluginState state = State;
        if (state is PluginState.Created)
        {
            throw new InvalidOperationException($"Plugin '{Name}' is not started; call StartAsync first.");
        }

        try
        {
            Task ready = Volatile.Read(ref _ready).Task;
            await (timeout == Timeout.InfiniteTimeSpan ? ready.WaitAsync(cancellationToken) : ready.WaitAsync(timeout, cancellationToken)).ConfigureAwait(false);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"Plugin '{Name}' did not become ready within {timeout} (state {State}).", ex);
        }

        return TryGetRunningChannel() ?? throw new ChannelClosedException($"Plugin '{Name}' is not running (state {State}).");
    }

    private async Task<PluginInstance> LaunchAsync(CancellationToken cancellationToken)
    {
        IConnectedPlugin connected = await PluginConnectors.For(_options.Transport)
            .ConnectAsync(_options.ToStartInfo(OnOutputLine), _processLogger, cancellationToken).ConfigureAwait(false);
        var channel = new Channel(connected.Input, connected.Output, CreateFramer(), new ChannelOptions
        {
            Name = Name,
            DefaultCallTimeout = _options.CallTimeout,
            MaxConcurrentHandlers = _options.MaxConcurrentHandlers,
            MaxQueuedMessages = _options.MaxQueuedMessages,
            MaxQueuedBytes = _options.MaxQueuedBytes,
            ShutdownGracePeriod = _options.StopTimeout,
            LoggerFactory = _options.LoggerFactory,
        });
        var instance = new PluginInstance(connected, channel);
        channel.CloseReasonResolver = reason => ResolveExitAsync(instance, reason);
        channel.Handlers = _handlers;
        channel.Owner = this;
        channel.Start();
        try
        {
            Chunk answer = await channel.CallAsync(new Chunk { Cmd = Commands.GetMetadata }, _options.StartTimeout, cancellationToken).ConfigureAwait(false);
            instance.Metadata = ParseMetadata(answer.Buffer.Span);
            return instance;
        }
        catch (Exception ex)
        {
            await instance.DisposeAsync().ConfigureAwait(false);
            if (ex is OperationCanceledException && cancellationToken.IsCancellationRequested)
            {
                throw;
            }

            string reason = ex is ChannelClosedException { InnerException: PluginExitedException exited } ? exited.Message : ex.Message;
            string tail = connected.StderrTail;
            string message = $"Plugin '{Name}' ({_options.ExecutablePath}) failed to start: {reason}";
            if (tail.Length > 0 && !message.Contains(tail, StringComparison.Ordinal))
            {
                message += $"{Environment.NewLine}Last stderr lines:{Environment.NewLine}{tail}";
            }

            throw new PluginStartException(message, ex);
        }
    }

    private Dictionary<string, string> ParseMetadata(ReadOnlySpan<byte> json)
    {
        var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
        try
        {
            var reader = new Utf8JsonReader(json);
            using JsonDocument document = JsonDocument.ParseValue(ref reader);
            if (document.RootElement.ValueKind != JsonValueKind.Object)
            {
                throw new ProtocolException($"GetMetadata answered a JSON {document.RootElement.ValueKind}, not an object.");
            }

            foreach (JsonProperty property in document.RootElement.EnumerateObject())
            {
                metadata[property.Name] = property.Value.ValueKind == JsonValueKind.String ? property.Value.GetString()! : property.Value.GetRawText();
            }
        }
        catch (JsonException ex)
        {
            throw new ProtocolException($"GetMetadata answered something that is not JSON: {ex.Message}", ex);
        }

        if (metadata.TryGetValue("protocol", out string? protocol) && protocol != LaunchVariables.ProtocolVersion)
        {
            throw new ProtocolException($"Plugin '{Name}' speaks protocol {protocol}; this host speaks {LaunchVariables.ProtocolVersion}.");
        }

        return metadata;
    }

    private IChunkFramer CreateFramer() =>
        FramerRegistry.Create(_options.Framer, _options.FramerOptions);

    private void BecomeRunning(PluginInstance instance)
    {
        instance.IsReady = true;
        Volatile.Write(ref _metadata, instance.Metadata);
        Volatile.Write(ref _current, instance);
        SetState(PluginState.Running, null);
        Volatile.Read(ref _ready).TrySetResult();
        PluginLog.Started(_logger, Name, instance.Process.ProcessId, _options.Framer, _options.Transport);
        instance.Supervision = SuperviseAsync(instance);
    }

    /// <summary>Watches one process: pings it, and when it goes away, reports it and restarts per policy.</summary>
    private async Task SuperviseAsync(PluginInstance instance)
    {
        CancellationToken lifetime = _lifetime.Token;
        Exception reason = await WatchAsync(instance, lifetime).ConfigureAwait(false);
        if (lifetime.IsCancellationRequested)
        {
            return; // StopAsync owns the rest.
        }

        try
        {
            // StopAsync cancels the lifetime before it takes the lock: this wait must give way to it.
            await _lifecycle.WaitAsync(lifetime).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return;
        }

        try
        {
            if (lifetime.IsCancellationRequested || !ReferenceEquals(Volatile.Read(ref _current), instance))
            {
                return;
            }

            Volatile.Write(ref _current, null);
            Volatile.Write(ref _ready, new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously));
            SetState(PluginState.Disconnected, reason);
            await instance.DisposeAsync().ConfigureAwait(false);
            int exitCode = instance.Process.HasExited ? await instance.Process.Exited.ConfigureAwait(false) : -1;
            RaiseExited(instance.Process.ProcessId, exitCode, expected: false);
            PluginLog.Crashed(_logger, Name, instance.Process.ProcessId, exitCode, reason);

            while (TryReserveRestart(out TimeSpan delay))
            {
                SetState(PluginState.Restarting, reason);
                try
                {
                    await Task.Delay(delay, lifetime).ConfigureAwait(false);
                    PluginInstance next = await LaunchAsync(lifetime).ConfigureAwait(false);
                    Interlocked.Increment(ref _restartCount);
                    ChannelTelemetry.RecordRestart(Name);
                    BecomeRunning(next);
                    PluginLog.Restarted(_logger, Name, next.Process.ProcessId, RestartCount);
                    return;
                }
                catch (OperationCanceledException) when (lifetime.IsCancellationRequested)
                {
                    return;
                }
                catch (Exception ex)
                {
                    PluginLog.RestartFailed(_logger, Name, ex);
                    reason = ex;
                }
            }

            SetState(PluginState.Failed, reason);
            Volatile.Read(ref _ready).TrySetObservedException(reason is ChannelClosedException ? reason : new ChannelClosedException($"Plugin '{Name}' failed: {reason.Message}", reason));
        }
        finally
        {
            _lifecycle.Release();
        }
    }

    /// <summary>Returns why the instance went away: its channel closed, its process exited, or it stopped answering pings.</summary>
    private async Task<Exception> WatchAsync(PluginInstance instance, CancellationToken lifetime)
    {
        using var stopPinging = CancellationTokenSource.CreateLinkedTokenSource(lifetime);
        Task pinging = _options.PingInterval == Timeout.InfiniteTimeSpan ? Task.Delay(Timeout.Infinite, stopPinging.Token) : PingLoopAsync(instance, stopPinging.Token);
        Task ended = await Task.WhenAny(instance.Channel.Completion, instance.Process.Exited, pinging).ConfigureAwait(false);
        await stopPinging.CancelAsync().ConfigureAwait(false);
        if (lifetime.IsCancellationRequested)
        {
            return new ChannelClosedException($"Plugin '{Name}' is stopping."); // StopAsync owns the process now.
        }
        if (ended == pinging && pinging.IsCompletedSuccessfully)
        {
            // Hung: unanswered pings. Kill it and treat it as crashed, for that reason rather than what the kill breaks.
            instance.FirstCause = new TimeoutException($"Plugin '{Name}' did not answer a ping within {_options.PingTimeout}; it was killed.");
            await instance.Process.KillAsync(CancellationToken.None).ConfigureAwait(false);
        }

        // The process and the channel end together; give the other one a moment to follow.
        await Task.WhenAll(instance.Channel.Completion, instance.Process.Exited).WaitAsync(TimeSpan.FromSeconds(2), CancellationToken.None).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        if (!instance.Process.HasExited)
        {
            await instance.Process.KillAsync(CancellationToken.None).ConfigureAwait(false);
        }

        return instance.Channel.CloseReason ?? instance.FirstCause ?? new ChannelClosedException($"Plugin '{Name}' closed its connection.");
    }

    /// <summary>Pings until a ping goes unanswered (the task then completes) or the token fires (the task is cancelled).</summary>
    private async Task PingLoopAsync(PluginInstance instance, CancellationToken cancellationToken)
    {
        while (true)
        {
            await Task.Delay(_options.PingInterval, cancellationToken).ConfigureAwait(false);
            try
            {
                await instance.Channel.PingAsync(_options.PingTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                PluginLog.PingTimedOut(_logger, Name, instance.Process.ProcessId, _options.PingTimeout);
                return;
            }
            catch (ChannelClosedException)
            {
                await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(false); // the channel's completion reports it
            }
        }
    }

    private bool TryReserveRestart(out TimeSpan delay)
    {
        RestartPolicy policy = _options.RestartPolicy;
        DateTimeOffset now = DateTimeOffset.UtcNow;
        while (_restarts.Count > 0 && now - _restarts.Peek() > policy.Window)
        {
            _restarts.Dequeue();
        }

        if (_restarts.Count >= policy.MaxRestarts)
        {
            delay = default;
            return false;
        }

        _restarts.Enqueue(now);
        delay = policy.DelayFor(_restarts.Count);
        return true;
    }

    private async Task StopInstanceAsync(PluginInstance instance, CancellationToken cancellationToken)
    {
        try
        {
            await instance.Channel.NotifyAsync(Commands.Stop, ReadOnlyMemory<byte>.Empty, cancellationToken).ConfigureAwait(false);
            await instance.Process.Exited.WaitAsync(_options.StopTimeout, cancellationToken).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException or ChannelClosedException or ProtocolException)
        {
            PluginLog.StopTimedOut(_logger, Name, instance.Process.ProcessId, _options.StopTimeout);
        }

        await instance.DisposeAsync().ConfigureAwait(false);
        if (instance.Supervision is { } supervision)
        {
            await supervision.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

        RaiseExited(instance.Process.ProcessId, instance.Process.HasExited ? await instance.Process.Exited.ConfigureAwait(false) : -1, expected: true);
    }

    private async Task<Exception> ResolveExitAsync(PluginInstance instance, Exception reason)
    {
        // The plugin closed its end (or broke the protocol): close ours as well. A plugin that is stopping waits for the end
        // of its input before it exits; without this, it and this wait held each other up until this one timed out.
        await instance.Process.CloseOutputAsync().ConfigureAwait(false);

        // A failure this side found (a protocol error, unanswered pings) is the first cause; a broken or closed
        // connection is only what the exit looks like from here.
        Exception cause = instance.FirstCause ?? reason;
        try
        {
            int exitCode = await instance.Process.Exited.WaitAsync(TimeSpan.FromMilliseconds(900)).ConfigureAwait(false);
            return new PluginExitedException(Name, exitCode, instance.Process.StderrTail, cause, causeFirst: cause is not ChannelClosedException);
        }
        catch (TimeoutException)
        {
            return cause; // Still running: the connection failed for another reason.
        }
    }

    private ValueTask<ReadOnlyMemory<byte>> OnLogMessage(Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken)
    {
        PluginLogEntry entry = LogMessage.Parse(chunk.Buffer.Span, DateTimeOffset.UtcNow);
        _recentLogs.Add(entry);
        if (_pluginLogger.IsEnabled(entry.Level))
        {
            PluginLog.PluginEntry(_pluginLogger, entry.Level, entry.Category, entry.Message, entry.Exception);
        }

        return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
    }

    private void OnOutputLine(PluginOutputLine line)
    {
        bool isError = line.Source == PluginOutputSource.StandardError;
        _recentLogs.Add(new PluginLogEntry(
            DateTimeOffset.UtcNow,
            isError ? PluginLogSource.StandardError : PluginLogSource.StandardOutput,
            LogLevel.Information,
            isError ? "stderr" : "stdout",
            line.Text,
            null));
        PluginLog.OutputLine(_pluginLogger, isError ? "stderr" : "stdout", line.Text);
    }

    private void SetState(PluginState state, Exception? error)
    {
        PluginState previous;
        lock (_stateLock)
        {
            previous = _state;
            if (previous == state)
            {
                return;
            }

            _state = state;
        }

        PluginLog.StateChanged(_logger, Name, previous, state);
        try
        {
            StateChanged?.Invoke(this, new PluginStateChangedEventArgs(previous, state, error));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            PluginLog.EventHandlerFailed(_logger, Name, nameof(StateChanged), ex);
        }
    }

    private void RaiseExited(int processId, int exitCode, bool expected)
    {
        try
        {
            Exited?.Invoke(this, new PluginExitedEventArgs(processId, exitCode, expected));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            PluginLog.EventHandlerFailed(_logger, Name, nameof(Exited), ex);
        }
    }
}
