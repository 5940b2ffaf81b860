namespace PluginIpc;

/// <summary>Describes how to start a plugin process: what to run, with which environment, and over which transport.</summary>
/// <remarks>Immutable once initialized; <see cref="IPluginConnector.ConnectAsync"/> validates it.</remarks>
internal sealed class PluginProcessStartInfo
{
    /// <summary>The default of <see cref="MaxOutputLineLength"/> and <see cref="PluginOptions.MaxOutputLineLength"/>, in chars.</summary>
    internal const int DefaultMaxOutputLineLength = 16 * 1024;

    /// <summary>Initializes a new instance for <paramref name="executablePath"/>.</summary>
    /// <param name="executablePath">The plugin executable: a path, or a bare name looked up in <c>PATH</c>.</param>
    public PluginProcessStartInfo(string executablePath)
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(executablePath);
        ExecutablePath = executablePath;
    }

    /// <summary>Gets the plugin executable: a path, or a bare name looked up in <c>PATH</c>.</summary>
    public string ExecutablePath { get; }

    /// <summary>Gets the arguments, each passed as one argument with no shell in between.</summary>
    /// <value>Defaults to none.</value>
    public IReadOnlyList<string> Arguments { get; init; } = [];

    /// <summary>Gets the working directory of the plugin.</summary>
    /// <value>Defaults to <see langword="null"/>: the host's current directory.</value>
    public string? WorkingDirectory { get; init; }

    /// <summary>Gets the environment variables to add or override; a <see langword="null"/> value removes the variable.</summary>
    /// <value>Defaults to none. The launch contract's own <c>PLUGINIPC_*</c> variables are set after these and win.</value>
    public IReadOnlyDictionary<string, string?> Environment { get; init; } = new Dictionary<string, string?>();

    /// <summary>Gets a value indicating whether the plugin starts from a copy of the host's environment.</summary>
    /// <value>Defaults to <see langword="true"/>. When <see langword="false"/>, the plugin gets only <see cref="Environment"/> and the launch contract's variables.</value>
    public bool InheritEnvironment { get; init; } = true;

    /// <summary>Gets the cookie passed in <c>PLUGINIPC_COOKIE</c>.</summary>
    /// <value>Defaults to <c>pluginipc-v1</c>.</value>
    public string Cookie { get; init; } = LaunchVariables.DefaultCookie;

    /// <summary>Gets the name of the framing passed in <c>PLUGINIPC_FRAMER</c>: <c>text</c> or <c>msgpack</c>.</summary>
    /// <value>Defaults to <c>text</c>.</value>
    public string Framer { get; init; } = FramerRegistry.Default;

    /// <summary>Gets the streams that carry the chunks; <see cref="PluginConnectors.For"/> maps it to the connector that starts the plugin.</summary>
    /// <value>Defaults to <see cref="PluginTransport.InheritedPipes"/>.</value>
    public PluginTransport Transport { get; init; } = PluginTransport.InheritedPipes;

    /// <summary>Gets how many recent lines of stderr and free stdout the host keeps for error messages.</summary>
    /// <value>Defaults to 100.</value>
    public int OutputTailCapacity { get; init; } = 100;

    /// <summary>Gets the most chars of the plugin's text that one line of its output carries; a longer line arrives in marked pieces.</summary>
    /// <value>Defaults to 16384 chars (16 Ki). See <see cref="BoundedLineReader"/> for how the pieces are marked.</value>
    public int MaxOutputLineLength { get; init; } = DefaultMaxOutputLineLength;

    /// <summary>Gets how long the host's reader busy-polls, passed to the plugin as a hint (<see cref="LaunchVariables.BusyPollMicroseconds"/>) when positive.</summary>
    public TimeSpan BusyPollTime { get; init; }

    /// <summary>Gets whether the processes the plugin leaves running when it exits are killed (Linux; see <see cref="LeftoverProcesses"/>).</summary>
    /// <value>Defaults to <see langword="false"/>.</value>
    public bool KillLeftoverProcesses { get; init; }

    /// <summary>Gets a callback that sees every line of output besides the logger; it runs on the reading task and must not block.</summary>
    /// <value>Defaults to <see langword="null"/>.</value>
    public Action<PluginOutputLine>? OutputReceived { get; init; }

    /// <summary>Throws if a value is out of range.</summary>
    internal void Validate()
    {
        ArgumentNullException.ThrowIfNull(Arguments);
        ArgumentNullException.ThrowIfNull(Environment);
        ArgumentException.ThrowIfNullOrEmpty(Cookie);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(OutputTailCapacity);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(MaxOutputLineLength);
        if (!FramerRegistry.IsKnown(Framer))
        {
            throw new ArgumentException($"The framer must be {FramerRegistry.KnownNames}, not '{Framer}'.", nameof(Framer));
        }

        if (!Enum.IsDefined(Transport))
        {
            throw new ArgumentOutOfRangeException(nameof(Transport), Transport, "Unknown transport.");
        }

        foreach (string argument in Arguments)
        {
            ArgumentNullException.ThrowIfNull(argument, nameof(Arguments));
        }
    }
}
