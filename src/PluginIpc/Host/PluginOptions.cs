using System.Diagnostics.Metrics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PluginIpc;

/// <summary>What plugin executable a <see cref="Plugin"/> starts and how it talks to and looks after it.</summary>
/// <remarks>A plugin copies and validates these settings when it is created; later changes do not affect it.</remarks>
public sealed class PluginOptions : IChannelSettings
{
    /// <summary>Gets or sets the plugin executable: a path, relative to <see cref="WorkingDirectory"/>, or a program on PATH such as <c>dotnet</c>.</summary>
    /// <remarks>A value with a directory part (<c>plugins/echo/Echo</c>, <c>./Echo</c>) is a path; a bare name (<c>dotnet</c>) is looked up on PATH.</remarks>
    public string ExecutablePath { get; set; } = string.Empty;

    /// <summary>Gets the arguments, one item per argument: never parsed by a shell.</summary>
    public IList<string> Arguments { get; } = [];

    /// <summary>
    /// Gets or sets the working directory of the plugin process, relative to the application's base directory
    /// (<see cref="AppContext.BaseDirectory"/>). A relative <see cref="ExecutablePath"/>, and the relative paths among the
    /// <see cref="Arguments"/> that the plugin opens, are relative to it.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: the application's base directory (not the host's current directory).</value>
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

    /// <summary>Gets or sets how many bytes of the plugin's request bodies over 64 KiB the host's running handlers may hold at once (see <see cref="ChannelOptions.MaxRunningRequestBytes"/>).</summary>
    /// <value>Defaults to 64 MiB.</value>
    public long MaxRunningRequestBytes { get; set; } = ChannelOptions.DefaultMaxRunningRequestBytes;

    /// <summary>Gets or sets how many recent output lines and log entries the host keeps for <see cref="Plugin.GetRecentLogs"/> and <see cref="Plugin.QueryLogs"/>.</summary>
    /// <value>Defaults to 1000.</value>
    public int RecentLogCapacity { get; set; } = 1000;

    /// <summary>
    /// Gets or sets how many bytes of text the kept output lines and log entries may take (two bytes a char, plus a little for each);
    /// the oldest go first. Each entry's texts are cut to <see cref="MaxOutputLineLength"/> chars.
    /// </summary>
    /// <value>Defaults to 1 MiB.</value>
    public long RecentLogByteCapacity { get; set; } = 1024 * 1024;

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

    /// <summary>
    /// Gets or sets how long the host's thread that reads the plugin's pipe keeps checking for input before each blocking
    /// read (see <see cref="ChannelOptions.BusyPollTime"/>). The plugin is told in its environment, and a .NET plugin does
    /// the same on its side unless its <see cref="MainOptions.BusyPollTime"/> says otherwise.
    /// </summary>
    /// <value>Defaults to <see cref="TimeSpan.Zero"/>: the reader blocks at once. At most <see cref="ChannelOptions.MaxBusyPollTime"/>.</value>
    public TimeSpan BusyPollTime { get; set; }

    /// <summary>
    /// Gets or sets whether processes that the plugin started, and that still run once it has exited (crashed, stopped or
    /// killed), are killed then. Linux only: they are found by a variable of the launch that they inherit
    /// (<c>PLUGINIPC_INSTANCE</c>), those that detached themselves included; one that ran a program with a new environment
    /// is not found.
    /// </summary>
    /// <value>
    /// Defaults to <see langword="false"/>: a plugin's helpers may be shared daemons that other programs use (an ssh or gpg
    /// agent, a compiler server). Set it for a plugin whose helpers must not outlive it, so that one that crashes in a loop
    /// does not pile them up.
    /// </value>
    public bool KillLeftoverProcesses { get; set; }

    /// <summary>Gets or sets the format of typed calls (<c>CallAsync&lt;TRequest, TResponse&gt;</c> and <c>Handle&lt;TRequest, TResponse&gt;</c>); the other side must use the same.</summary>
    /// <value>Defaults to <see langword="null"/>: a <see cref="MessagePackPluginSerializer"/>. NativeAOT applications set a <see cref="JsonPluginSerializer"/> made with their <c>JsonSerializerContext</c>.</value>
    public IPluginSerializer? Serializer { get; set; }

    /// <summary>
    /// Gets or sets the topics (or patterns, with <c>*</c>) the plugin may publish and send requests to on the host's bus. A system
    /// topic (<c>sys.</c>) needs an entry that starts with <c>sys.</c> itself. Used when the plugin manager starts the plugin.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: every topic but the system ones.</value>
    public IList<string>? BusPublishTopics { get; set; }

    /// <summary>
    /// Gets or sets the topics (or patterns) the plugin may subscribe to on the host's bus; it never receives other topics, and
    /// receives the system ones (<c>sys.</c>) regardless. Used when the plugin manager starts the plugin.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: every topic.</value>
    public IList<string>? BusSubscribeTopics { get; set; }

    /// <summary>
    /// Gets or sets a value indicating whether the plugin may change its <see cref="PluginConfigScope.System"/> configuration
    /// through <see cref="Main.Config"/>; it reads every scope, and writes <see cref="PluginConfigScope.Plugin"/> and
    /// <see cref="PluginConfigScope.User"/>, regardless. Used when the plugin manager starts the plugin.
    /// </summary>
    /// <value>Defaults to <see langword="false"/>: a system write is answered <see cref="ErrorCodes.Forbidden"/>.</value>
    public bool AllowSystemConfigWrites { get; set; }

    /// <summary>Gets or sets the logger factory for the library's own logs and the plugin's output and log entries.</summary>
    /// <value>Defaults to <see cref="NullLoggerFactory.Instance"/>.</value>
    public ILoggerFactory LoggerFactory { get; set; } = NullLoggerFactory.Instance;

    /// <summary>
    /// Gets or sets the factory of the <see cref="System.Diagnostics.Metrics.Meter"/> the plugin records its metrics with (its
    /// calls, restarts and wire bytes), such as the <see cref="IMeterFactory"/> of an application's services.
    /// </summary>
    /// <value>Defaults to <see langword="null"/>: the library's static meter named <see cref="PluginIpcDiagnostics.MeterName"/>.</value>
    public IMeterFactory? MeterFactory { get; set; }

    /// <summary>
    /// Returns a validated copy that shares no mutable object with these options: the lists, the environment and the restart policy are
    /// copied, so that later changes to these options or to their policy cannot reach the plugin. The logger and meter factories
    /// and the time provider are shared.
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
            FramerOptions = FramerOptions is null ? null! : new FramerOptions { MaxCmdBytes = FramerOptions.MaxCmdBytes, MaxChunkBytes = FramerOptions.MaxChunkBytes },
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
            MaxRunningRequestBytes = MaxRunningRequestBytes,
            RecentLogCapacity = RecentLogCapacity,
            RecentLogByteCapacity = RecentLogByteCapacity,
            MaxOutputLineLength = MaxOutputLineLength,
            LoggerFactory = LoggerFactory,
            Serializer = Serializer,
            MeterFactory = MeterFactory,
            TimeProvider = TimeProvider,
            BusyPollTime = BusyPollTime,
            KillLeftoverProcesses = KillLeftoverProcesses,
            BusPublishTopics = BusPublishTopics is null ? null : [.. BusPublishTopics],
            BusSubscribeTopics = BusSubscribeTopics is null ? null : [.. BusSubscribeTopics],
            AllowSystemConfigWrites = AllowSystemConfigWrites,
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
        copy.WorkingDirectory = PluginPaths.ResolveWorkingDirectory(copy.WorkingDirectory);
        copy.ExecutablePath = PluginPaths.ResolveExecutable(copy.ExecutablePath, copy.WorkingDirectory);
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
        BusyPollTime = BusyPollTime,
        KillLeftoverProcesses = KillLeftoverProcesses,
        OutputReceived = outputReceived,
    };

    /// <summary>Returns what is wrong with these settings, one line per problem, each naming the setting; empty when they are valid.</summary>
    /// <remarks>Checks the values only; whether the executable exists is checked when the plugin starts (or by <c>ValidateOnStart</c>).</remarks>
    internal List<string> GetProblems()
    {
        var problems = new List<string>();
        if (string.IsNullOrWhiteSpace(ExecutablePath))
        {
            problems.Add("PluginOptions.ExecutablePath is required: the plugin's executable, or a program on PATH such as 'dotnet'.");
        }

        if (!FramerRegistry.IsKnown(Framer))
        {
            problems.Add($"PluginOptions.Framer must be {FramerRegistry.KnownNames}, not '{Framer}'.");
        }

        if (string.IsNullOrEmpty(Cookie))
        {
            problems.Add("PluginOptions.Cookie must not be empty.");
        }

        Require(FramerOptions is not null, nameof(FramerOptions), "must not be null");
        if (FramerOptions is not null)
        {
            Require(FramerOptions.MaxCmdBytes > 0 && FramerOptions.MaxCmdBytes <= Array.MaxLength, "FramerOptions.MaxCmdBytes", $"must be positive and at most {Array.MaxLength}, not {FramerOptions.MaxCmdBytes}");
            Require(FramerOptions.MaxChunkBytes > 0 && FramerOptions.MaxChunkBytes <= Array.MaxLength, "FramerOptions.MaxChunkBytes", $"must be positive and at most {Array.MaxLength}, not {FramerOptions.MaxChunkBytes}");
        }

        Require(LoggerFactory is not null, nameof(LoggerFactory), "must not be null");
        Require(TimeProvider is not null, nameof(TimeProvider), "must not be null");
        if (RestartPolicy is null)
        {
            problems.Add("PluginOptions.RestartPolicy must not be null; use RestartPolicy.Never to turn restarts off.");
        }
        else if (RestartPolicy.GetProblem() is { } policyProblem)
        {
            problems.Add($"PluginOptions.RestartPolicy.{policyProblem}");
        }

        Require(MaxConcurrentHandlers > 0, nameof(MaxConcurrentHandlers), $"must be positive, not {MaxConcurrentHandlers}");
        Require(MaxQueuedMessages > 0, nameof(MaxQueuedMessages), $"must be positive, not {MaxQueuedMessages}");
        Require(MaxQueuedBytes > 0, nameof(MaxQueuedBytes), $"must be positive, not {MaxQueuedBytes}");
        Require(MaxRunningRequestBytes > 0, nameof(MaxRunningRequestBytes), $"must be positive, not {MaxRunningRequestBytes}");
        Require(ChannelOptions.IsValidBusyPollTime(BusyPollTime), nameof(BusyPollTime), $"must be from zero to {ChannelOptions.MaxBusyPollTime.TotalMilliseconds} ms, not {BusyPollTime}");
        Require(RecentLogCapacity > 0, nameof(RecentLogCapacity), $"must be positive, not {RecentLogCapacity}");
        Require(RecentLogByteCapacity > 0, nameof(RecentLogByteCapacity), $"must be positive, not {RecentLogByteCapacity}");
        Require(MaxOutputLineLength > 0, nameof(MaxOutputLineLength), $"must be positive, not {MaxOutputLineLength}");
        RequirePositive(StartTimeout, nameof(StartTimeout));
        RequirePositive(CallTimeout, nameof(CallTimeout));
        RequirePositive(PingInterval, nameof(PingInterval));
        RequirePositive(PingTimeout, nameof(PingTimeout));
        RequirePositive(StopTimeout, nameof(StopTimeout));
        return problems;

        void Require(bool valid, string name, string rule)
        {
            if (!valid)
            {
                problems.Add($"PluginOptions.{name} {rule}.");
            }
        }

        void RequirePositive(TimeSpan value, string name) =>
            Require(value == Timeout.InfiniteTimeSpan || (value > TimeSpan.Zero && value.TotalMilliseconds <= int.MaxValue), name, $"must be positive (at most {int.MaxValue} ms) or Timeout.InfiniteTimeSpan, not {value}");
    }

    private void Validate()
    {
        List<string> problems = GetProblems();
        if (problems.Count > 0)
        {
            throw new ArgumentException(string.Join(" ", problems));
        }
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
}
