namespace PluginIpc.AspNetCore;

/// <summary>
/// What the plugin gateway (<c>MapPluginGateway</c>) exposes to outside clients, how it authenticates them and the limits it
/// enforces. Nothing is exposed unless listed with <see cref="Expose(string)"/>.
/// </summary>
public sealed class PluginGatewayOptions
{
    private readonly Dictionary<string, HashSet<string>?> _exposed = new(StringComparer.Ordinal);

    /// <summary>Gets or sets the token every request must carry as <c>Authorization: Bearer {token}</c> (or, on a WebSocket upgrade, <c>?access_token={token}</c>, which request logs record with the URL); <see langword="null"/> for none.</summary>
    public string? BearerToken { get; set; }

    /// <summary>
    /// Gets or sets the token a person signs in to the dashboard (<c>MapPluginDashboard</c>) with, or a script sends as
    /// <c>Authorization: Bearer {token}</c>; <see langword="null"/> for none. It must differ from <see cref="BearerToken"/>:
    /// the dashboard starts and stops plugins and reads every plugin's logs, which the gateway's clients must not.
    /// </summary>
    public string? DashboardBearerToken { get; set; }

    /// <summary>Gets or sets whether the gateway may run without authentication, in which case it serves loopback clients only (others get 403). Default <see langword="false"/>. Behind a reverse proxy on the same machine every client is loopback: do not use it there.</summary>
    public bool AllowUnauthenticatedLoopback { get; set; }

    /// <summary>Gets the origins (<c>scheme://host[:port]</c>) whose browser pages may connect; a request with another <c>Origin</c> header is refused with 403, one without is allowed.</summary>
    public IList<string> AllowedOrigins { get; } = [];

    /// <summary>Gets the bus topics, or patterns with <c>*</c>, a WebSocket client may subscribe to with <c>$/subscribe</c>; empty (the default) allows none. A system topic (<c>sys.</c>) must be listed exactly: no pattern matches it.</summary>
    public IList<string> AllowedTopics { get; } = [];

    /// <summary>Gets or sets the largest request (HTTP body or WebSocket message) in bytes, refused before it is read whole: 64 bytes to 1 GiB. Default 1 MiB.</summary>
    public int MaxMessageBytes { get; set; } = 1024 * 1024;

    /// <summary>Gets or sets how many calls one WebSocket connection (or one HTTP batch) may have running; one more is answered at once with an error. Default 64.</summary>
    public int MaxCallsInFlightPerConnection { get; set; } = 64;

    /// <summary>
    /// Gets or sets how many plugin calls the whole gateway runs at once, over every connection, HTTP request and dialect; one more
    /// is answered at once with an error (JSON-RPC -32004, WebChannel E3002, <c>TOO_MANY_CALLS</c>). Default 1024.
    /// </summary>
    public int MaxConcurrentCalls { get; set; } = 1024;

    /// <summary>Gets or sets how many WebSocket connections the gateway keeps open at once; one more is refused with 503. Default 1000.</summary>
    public int MaxConnections { get; set; } = 1000;

    /// <summary>Gets or sets how many messages may wait to be sent to one WebSocket client; a client that lets more pile up is closed with code 1008. Default 256.</summary>
    public int MaxSendQueueMessages { get; set; } = 256;

    /// <summary>Gets or sets how many bytes may wait to be sent to one WebSocket client; a client that lets more pile up is closed with code 1008. At least <see cref="MaxMessageBytes"/>. Default 8 MiB.</summary>
    public int MaxSendQueueBytes { get; set; } = 8 * 1024 * 1024;

    /// <summary>Gets or sets how long a WebSocket connection with no message received, no call running and no subscription stays open. Default 2 minutes.</summary>
    public TimeSpan IdleTimeout { get; set; } = TimeSpan.FromMinutes(2);

    /// <summary>Gets or sets the timeout of each plugin call; <see langword="null"/> (the default) for the plugin's own <see cref="Plugin.DefaultCallTimeout"/>.</summary>
    public TimeSpan? CallTimeout { get; set; }

    /// <summary>
    /// Gets or sets how long the WebChannel envelope remembers a <c>requestId</c> (per authenticated user, bound to its request):
    /// the same request repeated within it gets the first answer instead of running again; the id with another request is
    /// refused. Only successes and plugin data errors (E1xxx) are kept; at most 10,000 ids and 32 MiB, answers of at most 256 KiB.
    /// <see cref="TimeSpan.Zero"/> turns this off. Default 5 minutes.
    /// </summary>
    public TimeSpan RequestIdWindow { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>Gets or sets whether WebChannel clients may <c>set_config</c> in the <c>system</c> scope; they read it regardless. Default <see langword="false"/>.</summary>
    public bool AllowSystemConfigWrites { get; set; }

    /// <summary>
    /// Gets or sets whether JSON-RPC clients may query the exposed plugins' logs with <c>$/logs</c> (the query of
    /// <see cref="IPluginManager.QueryLogs"/>, at most 1,000 entries). Logs may hold what clients should not see, so it is off
    /// unless set. Default <see langword="false"/>.
    /// </summary>
    public bool ExposeLogs { get; set; }

    /// <summary>Exposes every command of <paramref name="plugin"/> (except PluginIpc's own <c>cmd.*</c>, <c>bus.*</c> and <c>GetMetadata</c>).</summary>
    /// <param name="plugin">The plugin's name, as registered with PluginIpc.</param>
    /// <returns>These options, for chaining.</returns>
    public PluginGatewayOptions Expose(string plugin)
    {
        ArgumentException.ThrowIfNullOrEmpty(plugin);
        _exposed[plugin] = null;
        return this;
    }

    /// <summary>Exposes <paramref name="commands"/> of <paramref name="plugin"/>, added to those already exposed.</summary>
    /// <param name="plugin">The plugin's name, as registered with PluginIpc.</param>
    /// <param name="commands">The commands (cmds) clients may call.</param>
    /// <returns>These options, for chaining.</returns>
    public PluginGatewayOptions Expose(string plugin, params string[] commands)
    {
        ArgumentException.ThrowIfNullOrEmpty(plugin);
        ArgumentNullException.ThrowIfNull(commands);
        if (_exposed.TryGetValue(plugin, out HashSet<string>? existing) && existing is null)
        {
            return this; // every command is exposed already
        }

        existing ??= new HashSet<string>(StringComparer.Ordinal);
        foreach (string command in commands)
        {
            ArgumentException.ThrowIfNullOrEmpty(command, nameof(commands));
            existing.Add(command);
        }

        _exposed[plugin] = existing;
        return this;
    }

    /// <summary>Gets the exposed plugins, each with its allowed commands (<see langword="null"/>: all).</summary>
    internal IReadOnlyDictionary<string, HashSet<string>?> Exposed => _exposed;
}
