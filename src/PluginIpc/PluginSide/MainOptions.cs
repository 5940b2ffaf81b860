using System.Diagnostics.Metrics;
using System.Reflection;
using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>What a plugin executable announces, handles and does at start and stop; given to <see cref="Main.Register(MainOptions)"/>.</summary>
/// <remarks>Copied when <see cref="Main.RegisterAsync(MainOptions, CancellationToken)"/> starts; later changes do not affect the running plugin.</remarks>
public sealed class MainOptions : IChannelSettings
{
    private readonly HandlerRegistry _handlers = CreateRegistry();

    /// <summary>Gets or sets the plugin's name, announced as <c>name</c> in the handshake.</summary>
    /// <value>Defaults to the entry assembly's name.</value>
    public string Name { get; set; } = Assembly.GetEntryAssembly()?.GetName().Name ?? "plugin";

    /// <summary>Gets more metadata to announce in the handshake, such as <c>version</c>. <c>protocol</c> and <c>name</c> are set by PluginIpc.</summary>
    public IDictionary<string, string> Metadata { get; } = new Dictionary<string, string>(StringComparer.Ordinal);

    /// <summary>Gets or sets the cookie the host must pass in <c>PLUGINIPC_COOKIE</c>.</summary>
    /// <value>Defaults to <c>pluginipc-v1</c>, the library's default.</value>
    public string Cookie { get; set; } = LaunchVariables.DefaultCookie;

    /// <summary>Gets or sets the limits the framer enforces on every chunk, both ways; the framing itself is the one the host chose.</summary>
    /// <value>Defaults to a new <see cref="PluginIpc.FramerOptions"/>: 4 KiB per command, 64 MiB per buffer.</value>
    public FramerOptions FramerOptions { get; set; } = new();

    /// <summary>Gets or sets code to run once the connection is up, before any message from the host is handled; it may call the host.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public Func<Main, CancellationToken, Task>? OnStart { get; set; }

    /// <summary>Gets or sets code to run when the plugin stops, after in-flight requests finished or were cancelled.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public Func<Main, CancellationToken, Task>? OnStop { get; set; }

    /// <summary>Gets or sets the handler of commands without a handler of their own; without one, such requests are answered <see cref="ErrorCodes.UnknownCommand"/>.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public ChunkHandler? Fallback { get; set; }

    /// <summary>Gets or sets how long in-flight requests may run after a stop request before they are cancelled; the stop hook gets as long again.</summary>
    /// <value>Defaults to 3 seconds, below the host's default stop timeout of 5 seconds.</value>
    public TimeSpan StopGracePeriod { get; set; } = TimeSpan.FromSeconds(3);

    /// <summary>Gets or sets how often the plugin pings its host; <see cref="Timeout.InfiniteTimeSpan"/> turns it off.</summary>
    /// <value>Defaults to 5 seconds.</value>
    public TimeSpan HostPingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how long a ping to the host may go unanswered before the plugin considers its host lost and exits.</summary>
    /// <value>Defaults to 5 seconds.</value>
    public TimeSpan HostPingTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how long the plugin's calls to the host wait for an answer.</summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how many of the host's requests may be handled at once.</summary>
    /// <value>Defaults to 256.</value>
    public int MaxConcurrentHandlers { get; set; } = 256;

    /// <summary>Gets or sets how many of the host's one-way messages and requests may wait for their handlers before reading from the host pauses (see <see cref="ChannelOptions.MaxQueuedMessages"/>).</summary>
    /// <value>Defaults to 1,024.</value>
    public int MaxQueuedMessages { get; set; } = 1024;

    /// <summary>Gets or sets how many bytes of the host's one-way messages and requests may wait for their handlers before reading from the host pauses (see <see cref="ChannelOptions.MaxQueuedBytes"/>).</summary>
    /// <value>Defaults to 16 MiB.</value>
    public long MaxQueuedBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Gets or sets how many bytes of the host's request bodies over 64 KiB the plugin's running handlers may hold at once (see <see cref="ChannelOptions.MaxRunningRequestBytes"/>).</summary>
    /// <value>Defaults to 64 MiB.</value>
    public long MaxRunningRequestBytes { get; set; } = ChannelOptions.DefaultMaxRunningRequestBytes;

    /// <summary>
    /// Gets or sets the clock of the plugin's call timeouts, its pings to the host (<see cref="HostPingInterval"/> and
    /// <see cref="HostPingTimeout"/>) and <see cref="StopGracePeriod"/>.
    /// </summary>
    /// <value>Defaults to <see cref="TimeProvider.System"/>. Tests can pass a <c>FakeTimeProvider</c> and advance time by hand.</value>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets how long the plugin's thread that reads the host's pipe keeps checking for input before each blocking read (see <see cref="ChannelOptions.BusyPollTime"/>).</summary>
    /// <value>
    /// Defaults to <see langword="null"/>: what the host set in its <see cref="PluginOptions.BusyPollTime"/> (passed in the
    /// launch environment), else zero. At most <see cref="ChannelOptions.MaxBusyPollTime"/>.
    /// </value>
    public TimeSpan? BusyPollTime { get; set; }

    /// <inheritdoc/>
    TimeSpan IChannelSettings.BusyPollTime => BusyPollTime ?? TimeSpan.Zero;

    /// <summary>Gets or sets the format of typed calls (<c>CallAsync&lt;TRequest, TResponse&gt;</c> and <c>Handle&lt;TRequest, TResponse&gt;</c>); the other side must use the same.</summary>
    /// <value>Defaults to <see langword="null"/>: a <see cref="MessagePackPluginSerializer"/>. NativeAOT applications set a <see cref="JsonPluginSerializer"/> made with their <c>JsonSerializerContext</c>.</value>
    public IPluginSerializer? Serializer { get; set; }

    /// <summary>Gets or sets the lowest level of the entries that <see cref="Main.LoggerFactory"/> sends to the host.</summary>
    /// <value>Defaults to <see cref="LogLevel.Information"/>.</value>
    public LogLevel MinimumLogLevel { get; set; } = LogLevel.Information;

    /// <summary>
    /// Gets or sets the factory of the <see cref="System.Diagnostics.Metrics.Meter"/> the plugin records the metrics of its
    /// channel to the host with, such as the <see cref="IMeterFactory"/> of the plugin's own services.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: the library's static meter named <see cref="PluginIpcDiagnostics.MeterName"/>.</value>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>Gets or sets the settings of <see cref="Main.Bus"/>: its subscribers' queues and the format of its typed payloads.</summary>
    /// <value>Defaults to a queue of 1024 messages per subscriber that drops the oldest, and the <see cref="Serializer"/> for typed payloads.</value>
    public PluginBusOptions Bus { get; set; } = new();

    /// <summary>
    /// Gets or sets the hook that runs on <c>sys.config.changed</c>: when this plugin's configuration in the host's store changes
    /// (<see cref="Main.Config"/>, by the plugin itself, host code or anyone the host lets change it; only this plugin is told),
    /// and when the host (or anyone allowed) publishes that topic, which reaches every plugin without a subscription.
    /// </summary>
    /// <remarks>
    /// A store change's payload is UTF-8 JSON <c>{"plugin":"echo","scope":"user","key":"theme"}</c> (scope <c>plugin</c>,
    /// <c>user</c> or <c>system</c>; read the value with <see cref="Main.Config"/>), its <see cref="BusMessage.Publisher"/> the
    /// plugin that made the change or <see langword="null"/> for host code, its <see cref="BusMessage.Sequence"/> 0. A published
    /// message's payload is what its publisher sent.
    /// </remarks>
    /// <value>Defaults to <see langword="null"/>: no hook. It runs for one message at a time, off the channel's read loop.</value>
    public Func<Main, BusMessage, CancellationToken, Task>? OnConfigChanged { get; set; }

    /// <summary>Gets the handlers registered with <see cref="Handle"/>.</summary>
    internal HandlerRegistry Handlers => _handlers;

    /// <summary>Registers the handler of the host's requests and one-way messages with command <paramref name="cmd"/>.</summary>
    /// <param name="cmd">The command, matched exactly.</param>
    /// <param name="handler">The handler.</param>
    /// <returns>These options, to chain registrations.</returns>
    public MainOptions Handle(string cmd, ChunkHandler handler)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        ArgumentNullException.ThrowIfNull(handler);
        _handlers.Handle(cmd, handler);
        return this;
    }

    /// <summary>Registers a typed handler of the host's requests with command <paramref name="cmd"/> (see <see cref="TypedChunkPeerExtensions.Handle{TRequest, TResponse}"/>).</summary>
    /// <typeparam name="TRequest">The request's type.</typeparam>
    /// <typeparam name="TResponse">The answer's type.</typeparam>
    /// <param name="cmd">The command, matched exactly (ordinal).</param>
    /// <param name="handler">The handler; throw <see cref="RemoteException"/> to answer with an error code.</param>
    /// <returns>These options.</returns>
    public MainOptions Handle<TRequest, TResponse>(string cmd, Func<TRequest, CancellationToken, ValueTask<TResponse>> handler)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        ArgumentNullException.ThrowIfNull(handler);
        return Handle(cmd, TypedPayload.Handler(cmd, handler));
    }

    /// <summary>Registers a typed handler of the host's one-way messages with command <paramref name="cmd"/> (see <see cref="TypedChunkPeerExtensions.Handle{TMessage}"/>).</summary>
    /// <typeparam name="TMessage">The message's type.</typeparam>
    /// <param name="cmd">The command, matched exactly (ordinal).</param>
    /// <param name="handler">The handler.</param>
    /// <returns>These options.</returns>
    public MainOptions Handle<TMessage>(string cmd, Func<TMessage, CancellationToken, ValueTask> handler)
    {
        ArgumentNullException.ThrowIfNull(cmd);
        ArgumentNullException.ThrowIfNull(handler);
        return Handle(cmd, TypedPayload.Handler(cmd, handler));
    }

    /// <summary>
    /// Handles the host's calls of <typeparamref name="T"/>'s methods by running them on <paramref name="target"/>, and announces
    /// the contract's shape in the handshake metadata (<c>contract.{name}</c>), so that a host built against another version
    /// of it gets an error naming the method that differs.
    /// </summary>
    /// <typeparam name="T">A <see cref="PluginContractAttribute"/> interface.</typeparam>
    /// <param name="target">The implementation.</param>
    /// <returns>These options.</returns>
    /// <exception cref="InvalidOperationException"><typeparamref name="T"/> has no generated contract code.</exception>
    public MainOptions AddTarget<T>(T target)
        where T : class
    {
        ArgumentNullException.ThrowIfNull(target);
        Contracts.ContractDescriptor<T> descriptor = Contracts.ContractRegistry.Get<T>();
        descriptor.AddTarget(new Contracts.ContractServer(descriptor, (cmd, handler) => Handle(cmd, handler)), target);
        Metadata[descriptor.MetadataKey] = descriptor.Shape;
        return this;
    }

    /// <summary>A registry in which the commands that <see cref="Main"/> answers itself are taken, so that registering one fails at once.</summary>
    private static HandlerRegistry CreateRegistry()
    {
        var registry = new HandlerRegistry();
        ChunkHandler answeredByMain = static (_, _, _) => throw new InvalidOperationException("Main answers this command itself.");
        registry.HandleReserved(Commands.GetMetadata, answeredByMain);
        registry.HandleReserved(Commands.Stop, answeredByMain);
        return registry;
    }

    internal MainOptions Snapshot()
    {
        ArgumentException.ThrowIfNullOrEmpty(Name);
        ArgumentException.ThrowIfNullOrEmpty(Cookie);
        ArgumentNullException.ThrowIfNull(FramerOptions);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        ArgumentNullException.ThrowIfNull(Bus);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConcurrentHandlers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueuedMessages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueuedBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxRunningRequestBytes);
        ChannelOptions.ValidateTimeout(StopGracePeriod, nameof(StopGracePeriod));
        ChannelOptions.ValidateTimeout(HostPingInterval, nameof(HostPingInterval));
        ChannelOptions.ValidateTimeout(HostPingTimeout, nameof(HostPingTimeout));
        ChannelOptions.ValidateTimeout(CallTimeout, nameof(CallTimeout));
        if (BusyPollTime is { } busyPollTime)
        {
            ChannelOptions.ValidateBusyPollTime(busyPollTime, nameof(BusyPollTime));
        }

        var copy = new MainOptions
        {
            Name = Name,
            Cookie = Cookie,
            FramerOptions = FramerOptions.Snapshot(),
            OnStart = OnStart,
            OnStop = OnStop,
            Fallback = Fallback,
            StopGracePeriod = StopGracePeriod,
            HostPingInterval = HostPingInterval,
            HostPingTimeout = HostPingTimeout,
            CallTimeout = CallTimeout,
            MaxConcurrentHandlers = MaxConcurrentHandlers,
            MaxQueuedMessages = MaxQueuedMessages,
            MaxQueuedBytes = MaxQueuedBytes,
            MaxRunningRequestBytes = MaxRunningRequestBytes,
            MinimumLogLevel = MinimumLogLevel,
            MeterFactory = MeterFactory,
            Serializer = Serializer,
            TimeProvider = TimeProvider,
            BusyPollTime = BusyPollTime,
            Bus = Bus.Snapshot(),
            OnConfigChanged = OnConfigChanged,
        };
        foreach (KeyValuePair<string, string> entry in Metadata)
        {
            copy.Metadata[entry.Key] = entry.Value;
        }

        _handlers.CopyTo(copy._handlers);

        return copy;
    }
}
