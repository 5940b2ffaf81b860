using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PluginIpc;

/// <summary>
/// The plugin's handle on its host. A plugin executable calls <see cref="Register(MainOptions)"/> (or
/// <see cref="RegisterAsync(MainOptions, CancellationToken)"/>) from its entry point; the start and stop hooks receive the
/// handle to call the host, notify it and log to it.
/// </summary>
/// <remarks>
/// <see cref="RegisterAsync(MainOptions, CancellationToken)"/> checks the launch contract (a missing or wrong
/// <c>PLUGINIPC_COOKIE</c> prints one line to stderr and returns exit code 1), connects over the inherited descriptors or
/// stdin/stdout (console output then goes to stderr), answers <c>GetMetadata</c>, <c>cmd.ping</c> and <c>cmd.stop</c>, and
/// returns when the host stops the plugin or goes away (end of input, a failed write, or unanswered pings). Thread safe.
/// </remarks>
[System.Diagnostics.CodeAnalysis.SuppressMessage("Reliability", "CA1001", Justification = "The sources hold no timer or wait handle; the run's end completes them.")]
public sealed class Main : IChunkPeer, IChunkCallShortcuts, Contracts.IContractPeer
{
    private readonly MainOptions _options;
    private readonly Channel _channel;
    private readonly HostLogForwarder _logs;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly TaskCompletionSource _stopRequested = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly TaskCompletionSource _started = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private volatile bool _startFailed;
    private readonly MainBus _bus;
    private readonly MainConfig _config;

    internal Main(MainOptions options, Channel channel)
    {
        _options = options;
        _channel = channel;
        _logs = new HostLogForwarder(options.MinimumLogLevel);
        _logger = _logs.CreateLogger("PluginIpc.Main");
        var metadata = new Dictionary<string, string>(options.Metadata, StringComparer.Ordinal)
        {
            ["protocol"] = LaunchVariables.ProtocolVersion,
            ["name"] = options.Name,
            ["serializer"] = options.Serializer?.Name ?? MessagePackPluginSerializer.FormatName,
        };
        Metadata = metadata;
        byte[] metadataJson = JsonSerializer.SerializeToUtf8Bytes(metadata, PluginIpcJsonContext.Default.DictionaryStringString);

        channel.Owner = this;
        channel.Handlers.HandleReserved(Commands.GetMetadata, Gate((_, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(metadataJson)));
        channel.Handlers.HandleReserved(Commands.Stop, (_, _, _) =>
        {
            RequestStop();
            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        options.Handlers.CopyTo(channel.Handlers, Gate);
        _bus = new MainBus(this, options, channel);
        _config = new MainConfig(this, PluginSerializers.Resolve(options.Serializer));
        if (options.Fallback is { } fallback)
        {
            channel.HandleFallback(Gate(fallback));
        }
    }

    /// <summary>Gets the plugin's name, as announced to the host.</summary>
    public string Name => _options.Name;

    /// <summary>Gets the busy-poll time this plugin runs with: its own choice, else the host's hint (tests read it).</summary>
    internal TimeSpan BusyPollTime => _options.BusyPollTime ?? TimeSpan.Zero;

    /// <inheritdoc/>
    /// <value>From <see cref="MainOptions.CallTimeout"/>.</value>
    public TimeSpan DefaultCallTimeout => _options.CallTimeout;

    /// <inheritdoc/>
    public IPluginSerializer? Serializer => _options.Serializer;

    /// <summary>Gets the metadata announced to the host, including <c>protocol</c> and <c>name</c>.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; }

    /// <summary>Gets the channel to the host, for what the shortcuts here do not cover.</summary>
    public Channel Channel => _channel;

    /// <summary>
    /// Gets the bus: publish, subscribe and request by topic, with the host's own components, the host's other plugins and (with
    /// a relay) other hosts. The host brokers and checks the plugin's allow-lists; system topics (<c>sys.</c>) reach the plugin
    /// without a subscription.
    /// </summary>
    public IPluginBus Bus => _bus;

    /// <summary>
    /// Gets the plugin's configuration: its part of the host's store, read and written through the host (which binds the plugin's
    /// name). A change, by the plugin or anyone else, runs <see cref="MainOptions.OnConfigChanged"/>.
    /// </summary>
    public IPluginConfig Config => _config;

    /// <summary>Gets a token that fires when the plugin starts to stop: the host asked, went away, or <see cref="RequestStop"/> was called.</summary>
    public CancellationToken Stopping => _stopping.Token;

    /// <summary>Gets a logger factory whose loggers send entries to the host as <c>cmd.log</c>, at or above <see cref="MainOptions.MinimumLogLevel"/>.</summary>
    /// <remarks>Entries never block the caller; once the host is gone they go to stderr.</remarks>
    public ILoggerFactory LoggerFactory => _logs;

    /// <summary>Runs a plugin until its host stops it or goes away; for a synchronous <c>static int Main</c>. Prefer <see cref="RegisterAsync(MainOptions, CancellationToken)"/> from an async entry point.</summary>
    /// <param name="options">What the plugin announces and handles.</param>
    /// <returns>The exit code to return from the entry point: 0 after a stop or the loss of the host, 1 if the plugin was not started by a host or failed to start.</returns>
    public static int Register(MainOptions options) =>
        // The entry point is the one place that must wait: this is what the compiler generates for an async Main.
        RegisterAsync(options).GetAwaiter().GetResult();

    /// <summary>Runs a plugin until its host stops it or goes away.</summary>
    /// <param name="options">What the plugin announces and handles.</param>
    /// <param name="cancellationToken">Stops the plugin as if the host had asked.</param>
    /// <returns>The exit code to return from the entry point: 0 after a stop or the loss of the host, 1 if the plugin was not started by a host or failed to start.</returns>
    public static async Task<int> RegisterAsync(MainOptions options, CancellationToken cancellationToken = default)
    {
        ArgumentNullException.ThrowIfNull(options);
        MainOptions settings = options.Snapshot();
        string processName = Path.GetFileNameWithoutExtension(Environment.ProcessPath) ?? settings.Name;
        if (processName.Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            processName = settings.Name;
        }

        if (!LaunchContract.TryRead(settings.Cookie, processName, out LaunchContract? contract, out string? error))
        {
            await Console.Error.WriteLineAsync(error).ConfigureAwait(false);
            Environment.ExitCode = 1;
            return 1;
        }

        settings.BusyPollTime ??= contract.BusyPollTime; // the host's hint, unless the plugin chose
        PluginConnection connection = PluginConnection.Open(contract);
        await using var connectionScope = connection.ConfigureAwait(false);
        IChunkFramer framer = FramerRegistry.Create(contract.Framer, settings.FramerOptions);
        int exitCode = await RunAsync(settings, connection.Input, connection.Output, framer, cancellationToken).ConfigureAwait(false);
        Environment.ExitCode = exitCode;
        return exitCode;
    }

    /// <inheritdoc/>
    public Task<Chunk> CallAsync(Chunk request, TimeSpan timeout, CancellationToken cancellationToken = default) =>
        _channel.CallAsync(request, timeout, cancellationToken);

    /// <inheritdoc/>
    public ValueTask NotifyAsync(Chunk message, CancellationToken cancellationToken = default) =>
        _channel.NotifyAsync(message, cancellationToken);

    /// <inheritdoc/>
    /// <remarks>A handler registered here, like those of <see cref="MainOptions"/>, waits for the start hook to finish.</remarks>
    public void Handle(string cmd, ChunkHandler handler)
    {
        ArgumentNullException.ThrowIfNull(handler);
        _channel.Handle(cmd, Gate(handler));
    }

    /// <inheritdoc/>
    public void HandleFallback(ChunkHandler? handler) => _channel.HandleFallback(handler is null ? null : Gate(handler));

    /// <inheritdoc/>
    TimeProvider Contracts.IContractPeer.TimeProvider => _options.TimeProvider;

    /// <inheritdoc/>
    IReadOnlyDictionary<string, string>? Contracts.IContractPeer.RemoteMetadata => null;

    /// <inheritdoc/>
    Channel? Contracts.IContractPeer.Connection => _channel;

    /// <inheritdoc/>
    void Contracts.IContractPeer.HandleInline(string cmd, ChunkHandler handler) => _channel.Handlers.HandleInline(cmd, handler);

    /// <inheritdoc/>
    Task<TAnswer> IChunkCallShortcuts.CallAsync<TAnswer>(string cmd, ReadOnlyMemory<byte> buffer, IReadOnlyDictionary<string, string>? headers, TimeSpan timeout, Func<ReceivedChunk, TAnswer> answer, CancellationToken cancellationToken) =>
        ((IChunkCallShortcuts)_channel).CallAsync(cmd, buffer, headers, timeout, answer, cancellationToken);

    /// <inheritdoc/>
    ValueTask IChunkCallShortcuts.NotifyAsync(string cmd, ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken) =>
        ((IChunkCallShortcuts)_channel).NotifyAsync(cmd, buffer, cancellationToken);

    /// <summary>Creates a logger whose entries go to the host.</summary>
    /// <param name="categoryName">The category, such as the class that logs.</param>
    /// <returns>The logger.</returns>
    public ILogger CreateLogger(string categoryName) => _logs.CreateLogger(categoryName);

    /// <summary>Stops the plugin as if the host had sent <c>cmd.stop</c>.</summary>
    public void RequestStop()
    {
        if (_stopRequested.TrySetResult())
        {
            _stopping.Cancel();
        }
    }

    /// <summary>Runs the plugin over the given streams until it is stopped or loses its host. Used by <see cref="RegisterAsync(MainOptions, CancellationToken)"/> and by tests.</summary>
    internal static async Task<int> RunAsync(MainOptions options, Stream input, Stream output, IChunkFramer framer, CancellationToken cancellationToken)
    {
        // The plugin side's own logs travel to the host over this channel, so the channel itself does not log.
        ChannelOptions channelOptions = ChannelOptions.From(options, options.Name, options.StopGracePeriod, NullLoggerFactory.Instance);
        Channel channel = ReferenceEquals(input, output)
            ? new Channel(input, framer, channelOptions)
            : new Channel(input, output, framer, channelOptions);
        try
        {
            return await new Main(options, channel).RunAsync(cancellationToken).ConfigureAwait(false);
        }
        finally
        {
            // Close, not dispose: a pipe read blocked until the host closes its end would hold DisposeAsync for its timeout,
            // and the process is about to exit anyway.
            await channel.CloseAsync(CancellationToken.None).ConfigureAwait(false);
        }
    }

    private async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        using CancellationTokenRegistration registration = cancellationToken.UnsafeRegister(static state => ((Main)state!).RequestStop(), this);
        _logs.Attach(_channel);
        _channel.Start();
        MainLog.Connected(_logger, Name, _channel.Framer.Name);

        int exitCode = 0;
        if (_options.OnStart is { } onStart)
        {
            try
            {
                await onStart(this, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                MainLog.StartFailed(_logger, Name, ex);
                _startFailed = true; // before the gate opens: the handshake is refused, so the host never counts it as running
                RequestStop();
                exitCode = 1;
            }
        }

        _started.TrySetResult();
        if (exitCode == 0)
        {
            using var stopPinging = CancellationTokenSource.CreateLinkedTokenSource(_stopping.Token);
            Task pinging = PingHostAsync(stopPinging.Token);
            await Task.WhenAny(_stopRequested.Task, _channel.Completion, pinging).ConfigureAwait(false);
            await stopPinging.CancelAsync().ConfigureAwait(false);
        }

        await StopAsync().ConfigureAwait(false);
        return exitCode;
    }

    /// <summary>Finishes (or, after the grace period, cancels) in-flight work, runs the stop hook, and flushes the logs.</summary>
    private async Task StopAsync()
    {
        if (!_stopping.IsCancellationRequested)
        {
            await _stopping.CancelAsync().ConfigureAwait(false);
        }

        await _channel.CloseAsync().ConfigureAwait(false);
        await _bus.DisposeAsync().ConfigureAwait(false);
        if (_options.OnStop is { } onStop)
        {
            using var grace = new CancellationTokenSource(_options.StopGracePeriod, _options.TimeProvider);
            try
            {
                await onStop(this, grace.Token).WaitAsync(grace.Token).ConfigureAwait(false);
            }
            catch (OperationCanceledException) when (grace.IsCancellationRequested)
            {
                MainLog.StopHookCutShort(_logger, Name, _options.StopGracePeriod); // not a failure of the hook: its time was up
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                MainLog.StopFailed(_logger, Name, ex);
            }
        }

        await _logs.FlushAsync(TimeSpan.FromSeconds(1)).ConfigureAwait(false); // a bound on real writes: on the real clock
    }

    private async Task PingHostAsync(CancellationToken cancellationToken)
    {
        if (_options.HostPingInterval == Timeout.InfiniteTimeSpan)
        {
            await Task.Delay(Timeout.Infinite, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            return;
        }

        while (!cancellationToken.IsCancellationRequested)
        {
            await Task.Delay(_options.HostPingInterval, _options.TimeProvider, cancellationToken).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
            try
            {
                await _channel.PingAsync(_options.HostPingTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (TimeoutException)
            {
                MainLog.HostUnresponsive(_logger, Name, _options.HostPingTimeout);
                return;
            }
            catch (Exception ex) when (ex is ChannelClosedException or OperationCanceledException)
            {
                return;
            }
            catch (RemoteException)
            {
                // It answered, with an error (a host of another implementation, closing): still there, so pinging goes on.
            }
            catch (Exception ex) when (!cancellationToken.IsCancellationRequested)
            {
                // Not a sign of a lost host: a health check that breaks must not stop a plugin whose host is there.
                MainLog.PingFailed(_logger, Name, ex);
            }
        }
    }

    /// <summary>Holds a handler back until the start hook has finished; a handler that lends its buffers (<see cref="PooledBuffer.LendTo"/>) still does.</summary>
    private ChunkHandler Gate(ChunkHandler handler) => PooledRequestHandler.Like(handler, (chunk, peer, cancellationToken) =>
        !_started.Task.IsCompleted ? AfterStartAsync(handler, chunk, peer, cancellationToken)
            : _startFailed ? ValueTask.FromException<ReadOnlyMemory<byte>>(NotStarted(chunk))
            : handler(chunk, peer, cancellationToken));

    private async ValueTask<ReadOnlyMemory<byte>> AfterStartAsync(ChunkHandler handler, Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken)
    {
        await _started.Task.WaitAsync(cancellationToken).ConfigureAwait(false);
        return _startFailed ? throw NotStarted(chunk) : await handler(chunk, peer, cancellationToken).ConfigureAwait(false);
    }

    private RemoteException NotStarted(Chunk chunk) =>
        new(ErrorCodes.ShuttingDown, $"Plugin '{Name}' did not start (its start hook failed): '{chunk.Cmd}' was not run.") { Cmd = chunk.Cmd };
}
