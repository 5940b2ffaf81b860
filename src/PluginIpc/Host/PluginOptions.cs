using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PluginIpc;

/// <summary>What plugin executable a <see cref="Plugin"/> starts and how it talks to and looks after it.</summary>
/// <remarks>A plugin copies and validates these settings when it is created; later changes do not affect it.</remarks>
public sealed class PluginOptions
{
    /// <summary>Gets or sets the path of the plugin executable.</summary>
    public string ExecutablePath { get; set; } = string.Empty;

    /// <summary>Gets the arguments, one item per argument: never parsed by a shell.</summary>
    public IList<string> Arguments { get; } = [];

    /// <summary>Gets or sets the working directory of the plugin process.</summary>
    /// <value>Defaults to <see langword="null"/>: the host's current directory.</value>
    public string? WorkingDirectory { get; set; }

    /// <summary>Gets the environment variables to set for the plugin; a <see langword="null"/> value removes the variable.</summary>
    public IDictionary<string, string?> Environment { get; } = new Dictionary<string, string?>(StringComparer.Ordinal);

    /// <summary>Gets or sets a value indicating whether the plugin starts with the host's environment.</summary>
    /// <value>Defaults to <see langword="true"/>. When <see langword="false"/>, it gets only <see cref="Environment"/> and the launch variables.</value>
    public bool InheritEnvironment { get; set; } = true;

    /// <summary>Gets or sets the plugin's name in logs and errors; its log category is <c>PluginIpc.Plugins.{Name}</c>.</summary>
    /// <value>Defaults to <see langword="null"/>: the executable's file name (or the assembly's, for <c>dotnet plugin.dll</c>).</value>
    public string? Name { get; set; }

    /// <summary>Gets or sets the wire framing: <c>text</c> or <c>msgpack</c>.</summary>
    /// <value>Defaults to <c>text</c>.</value>
    public string Framer { get; set; } = FramerRegistry.Default;

    /// <summary>Gets or sets the limits the framer enforces on every chunk, both ways.</summary>
    /// <value>Defaults to a new <see cref="PluginIpc.FramerOptions"/>: 4 KiB per command, 64 MiB per buffer.</value>
    public FramerOptions FramerOptions { get; set; } = new();

    /// <summary>Gets or sets the streams that carry the chunks.</summary>
    /// <value>Defaults to <see cref="PluginTransport.InheritedPipes"/>.</value>
    public PluginTransport Transport { get; set; } = PluginTransport.InheritedPipes;

    /// <summary>Gets or sets the value passed in <c>PLUGINIPC_COOKIE</c>; plugins built for this host expect it.</summary>
    /// <value>Defaults to <c>pluginipc-v1</c>.</value>
    public string Cookie { get; set; } = LaunchVariables.DefaultCookie;

    /// <summary>Gets or sets how long starting the process and the handshake may take.</summary>
    /// <value>Defaults to 10 seconds.</value>
    public TimeSpan StartTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Gets or sets how long a call waits for its answer unless the call says otherwise.</summary>
    /// <value>Defaults to 30 seconds.</value>
    public TimeSpan CallTimeout { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Gets or sets how often the host pings the plugin; <see cref="Timeout.InfiniteTimeSpan"/> turns health checks off.</summary>
    /// <value>Defaults to 5 seconds.</value>
    public TimeSpan PingInterval { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how long a ping may go unanswered before the plugin counts as hung: it is then killed and treated as crashed.</summary>
    /// <value>Defaults to 5 seconds.</value>
    public TimeSpan PingTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets how long a plugin asked to stop may take to exit before its process tree is killed.</summary>
    /// <value>Defaults to 5 seconds.</value>
    public TimeSpan StopTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>Gets or sets when the plugin is restarted after its process exits without being asked to.</summary>
    /// <value>Defaults to a new <see cref="PluginIpc.RestartPolicy.Never"/>, one per options instance.</value>
    public RestartPolicy RestartPolicy { get; set; } = RestartPolicy.Never;

    /// <summary>Gets or sets how many of the plugin's requests to the host may be handled at once.</summary>
    /// <value>Defaults to 256.</value>
    public int MaxConcurrentHandlers { get; set; } = 256;

    /// <summary>Gets or sets how many of the plugin's one-way messages and requests may wait for their handlers before reading from the plugin pauses (see <see cref="ChannelOptions.MaxQueuedMessages"/>).</summary>
    /// <value>Defaults to 1,024.</value>
    public int MaxQueuedMessages { get; set; } = 1024;

    /// <summary>Gets or sets how many bytes of the plugin's one-way messages and requests may wait for their handlers before reading from the plugin pauses (see <see cref="ChannelOptions.MaxQueuedBytes"/>).</summary>
    /// <value>Defaults to 16 MiB.</value>
    public long MaxQueuedBytes { get; set; } = 16L * 1024 * 1024;

    /// <summary>Gets or sets how many recent output lines and log entries <see cref="Plugin.GetRecentLogs"/> keeps.</summary>
    /// <value>Defaults to 200.</value>
    public int RecentLogCapacity { get; set; } = 200;

    /// <summary>Gets or sets the most chars of the plugin's text that one logged line of its stderr (or free stdout) carries.</summary>
    /// <remarks>
    /// A longer line is logged in pieces of at most this many chars: each piece but the last ends with <c> [line continues]</c>,
    /// each piece but the first starts with <c>[continued] </c>. So the host's memory for output stays bounded whatever the
    /// plugin writes, with or without line breaks.
    /// </remarks>
    /// <value>Defaults to 16384 chars (16 Ki).</value>
    public int MaxOutputLineLength { get; set; } = PluginProcessStartInfo.DefaultMaxOutputLineLength;

    /// <summary>
    /// Gets or sets the clock of call timeouts, pings, <see cref="StartTimeout"/>, <see cref="StopTimeout"/>, the restart
    /// backoff and window of <see cref="RestartPolicy"/>, and the timestamps of <see cref="Plugin.GetRecentLogs"/>.
    /// </summary>
    /// <value>Defaults to <see cref="TimeProvider.System"/>. Tests can pass a <c>FakeTimeProvider</c> and advance time by hand.</value>
    /// <remarks>Shared, not copied, by the plugin, and passed on to the channel of each plugin process.</remarks>
    public TimeProvider TimeProvider { get; set; } = TimeProvider.System;

    /// <summary>Gets or sets the logger factory for the library's own logs and the plugin's output and log entries.</summary>
    /// <value>Defaults to <see cref="NullLoggerFactory.Instance"/>.</value>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>
    /// Returns a validated copy that shares no mutable object with these options: the lists, the environment and the restart policy are
    /// copied, so that later changes to these options or to their policy cannot reach the plugin. The logger factory and the
    /// time provider are shared.
    /// </summary>
    /// <exception cref="ArgumentException">A setting is invalid; the message names it.</exception>
    internal PluginOptions Snapshot()
    {
        // Copy first, then validate the copy: what is checked is what the plugin keeps.
        var copy = new PluginOptions
        {
            ExecutablePath = ExecutablePath,
            WorkingDirectory = WorkingDirectory,
            InheritEnvironment = InheritEnvironment,
            Name = Name,
            Framer = Framer,
            FramerOptions = FramerOptions?.Snapshot()!,
            Transport = Transport,
            Cookie = Cookie,
            StartTimeout = StartTimeout,
            CallTimeout = CallTimeout,
            PingInterval = PingInterval,
            PingTimeout = PingTimeout,
            StopTimeout = StopTimeout,
            RestartPolicy = RestartPolicy?.Clone()!,
            MaxConcurrentHandlers = MaxConcurrentHandlers,
            MaxQueuedMessages = MaxQueuedMessages,
            MaxQueuedBytes = MaxQueuedBytes,
            RecentLogCapacity = RecentLogCapacity,
            MaxOutputLineLength = MaxOutputLineLength,
            LoggerFactory = LoggerFactory,
            TimeProvider = TimeProvider,
        };
        foreach (string argument in Arguments)
        {
            copy.Arguments.Add(argument);
        }

        foreach (KeyValuePair<string, string?> variable in Environment)
        {
            copy.Environment[variable.Key] = variable.Value;
        }

        copy.Validate();
        copy.Name = string.IsNullOrWhiteSpace(copy.Name) ? DefaultName(copy.ExecutablePath, [.. copy.Arguments]) : copy.Name;
        return copy;
    }

    internal PluginProcessStartInfo ToStartInfo(Action<PluginOutputLine> outputReceived) => new(ExecutablePath)
    {
        Arguments = [.. Arguments],
        WorkingDirectory = WorkingDirectory,
        Environment = new Dictionary<string, string?>(Environment, StringComparer.Ordinal),
        InheritEnvironment = InheritEnvironment,
        Cookie = Cookie,
        Framer = Framer,
        Transport = Transport,
        MaxOutputLineLength = MaxOutputLineLength,
        OutputReceived = outputReceived,
    };

    private void Validate()
    {
        if (string.IsNullOrWhiteSpace(ExecutablePath))
        {
            throw new ArgumentException("PluginOptions.ExecutablePath is required.", nameof(ExecutablePath));
        }

        if (!FramerRegistry.IsKnown(Framer))
        {
            throw new ArgumentException($"PluginOptions.Framer must be {FramerRegistry.KnownNames}, not '{Framer}'.", nameof(Framer));
        }

        ArgumentException.ThrowIfNullOrEmpty(Cookie);
        ArgumentNullException.ThrowIfNull(RestartPolicy);
        ArgumentNullException.ThrowIfNull(FramerOptions);
        ArgumentNullException.ThrowIfNull(LoggerFactory);
        ArgumentNullException.ThrowIfNull(TimeProvider);
        RestartPolicy.Validate();
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxConcurrentHandlers);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueuedMessages);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxQueuedBytes);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(RecentLogCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOutputLineLength);
        ValidatePositive(StartTimeout, nameof(StartTimeout));
        ValidatePositive(CallTimeout, nameof(CallTimeout));
        ValidatePositive(PingInterval, nameof(PingInterval));
        ValidatePositive(PingTimeout, nameof(PingTimeout));
        ValidatePositive(StopTimeout, nameof(StopTimeout));
    }

    private static string DefaultName(string executablePath, string[] arguments)
    {
        string name = Path.GetFileNameWithoutExtension(executablePath);
        if (name.Equals("dotnet", StringComparison.OrdinalIgnoreCase))
        {
            // "dotnet plugin.dll" or "dotnet exec plugin.dll": the plugin is the first assembly named.
            string? assembly = Array.Find(arguments, a => a.EndsWith(".dll", StringComparison.OrdinalIgnoreCase));
            if (assembly is not null)
            {
                name = Path.GetFileNameWithoutExtension(assembly);
            }
        }

        return name;
    }

    private static void ValidatePositive(TimeSpan value, string name)
    {
        if (value != Timeout.InfiniteTimeSpan && (value <= TimeSpan.Zero || value.TotalMilliseconds > int.MaxValue))
        {
            throw new ArgumentOutOfRangeException(name, value, $"PluginOptions.{name} must be positive or Timeout.InfiniteTimeSpan.");
        }
    }
}
