namespace PluginIpc.AspNetCore.Security;

/// <summary>The per-plugin and per-command allow-list of <see cref="PluginGatewayOptions.Expose(string)"/>.</summary>
internal sealed class ExposureList(PluginGatewayOptions options)
{
    private readonly Dictionary<string, HashSet<string>?> _exposed = options.Exposed.ToDictionary(
        p => p.Key, p => p.Value is null ? null : new HashSet<string>(p.Value, StringComparer.Ordinal), StringComparer.Ordinal);

    /// <summary>Returns whether clients may call <paramref name="cmd"/> of <paramref name="plugin"/>.</summary>
    /// <remarks>
    /// PluginIpc's own commands (stop, ping, the handshake, the bus, streams, the configuration store's three, the bridge between a
    /// plugin and its owner) and the WebChannel lifecycle messages the gateway sends plugins (onInit, onPageReady, ...) are
    /// never callable from outside, over any dialect: a client could otherwise pose as the host.
    /// </remarks>
    public bool Allows(string plugin, string cmd) =>
        _exposed.TryGetValue(plugin, out HashSet<string>? commands)
        && !IsReserved(cmd)
        && (commands is null || commands.Contains(cmd));

    /// <summary>Gets the exposed plugins' names.</summary>
    public IEnumerable<string> Plugins => _exposed.Keys;

    /// <summary>Returns whether <paramref name="plugin"/> is exposed at all (some or all of its commands).</summary>
    public bool Exposes(string plugin) => _exposed.ContainsKey(plugin);

    private static bool IsReserved(string cmd) =>
        cmd.Length == 0
        || cmd.StartsWith("cmd.", StringComparison.Ordinal)
        || cmd.StartsWith("bus.", StringComparison.Ordinal)
        || cmd is Commands.ConfigGet or Commands.ConfigSet or Commands.ConfigRemove or Commands.BridgeMessage
        || cmd == Commands.GetMetadata
        || WebChannel.WebChannelLifecycleCommands.IsLifecycle(cmd);
}
