using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>
/// The host's side of a plugin's configuration commands (<c>config.get</c>, <c>config.set</c>, <c>config.remove</c>; docs/PROTOCOL.md,
/// section 11): each reads or changes the store under the plugin's own name, which the host binds.
/// </summary>
internal static class HostConfigCommands
{
    /// <summary>Registers the commands on a plugin the manager made.</summary>
    /// <param name="plugin">The plugin; its <see cref="Plugin.Name"/> names its files.</param>
    /// <param name="store">The host's store.</param>
    /// <param name="allowSystemWrites">Whether the plugin may change its <see cref="PluginConfigScope.System"/> scope.</param>
    /// <param name="logger">Where refusals are logged.</param>
    public static void Attach(Plugin plugin, PluginConfigStore store, bool allowSystemWrites, ILogger logger)
    {
        string name = plugin.Name;
        plugin.Handle(Commands.ConfigGet, async (chunk, peer, cancellationToken) =>
        {
            IPluginSerializer serializer = PluginSerializers.Resolve(peer.Serializer);
            (PluginConfigScope scope, string? key) = ConfigWire.ReadKey(serializer, chunk, keyOptional: true);
            try
            {
                return ConfigWire.Value(serializer, key is null
                    ? await store.GetAsync(name, scope, cancellationToken).ConfigureAwait(false)
                    : await store.GetAsync(name, scope, key, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (Translate(ex, chunk.Cmd) is { } answer)
            {
                throw answer;
            }
        });
        plugin.Handle(Commands.ConfigSet, async (chunk, peer, cancellationToken) =>
        {
            (PluginConfigScope scope, string key, System.Text.Json.JsonElement value) = ConfigWire.ReadSet(PluginSerializers.Resolve(peer.Serializer), chunk);
            CheckWrite(name, scope, allowSystemWrites, chunk.Cmd, logger);
            try
            {
                await store.ChangeAsync(name, scope, key, value, name, cancellationToken).ConfigureAwait(false);
                return ReadOnlyMemory<byte>.Empty;
            }
            catch (Exception ex) when (Translate(ex, chunk.Cmd) is { } answer)
            {
                throw answer;
            }
        });
        plugin.Handle(Commands.ConfigRemove, async (chunk, peer, cancellationToken) =>
        {
            IPluginSerializer serializer = PluginSerializers.Resolve(peer.Serializer);
            (PluginConfigScope scope, string? key) = ConfigWire.ReadKey(serializer, chunk, keyOptional: false);
            CheckWrite(name, scope, allowSystemWrites, chunk.Cmd, logger);
            try
            {
                return ConfigWire.Removed(serializer, await store.ChangeAsync(name, scope, key!, null, name, cancellationToken).ConfigureAwait(false));
            }
            catch (Exception ex) when (Translate(ex, chunk.Cmd) is { } answer)
            {
                throw answer;
            }
        });
    }

    private static void CheckWrite(string name, PluginConfigScope scope, bool allowSystemWrites, string cmd, ILogger logger)
    {
        if (scope == PluginConfigScope.System && !allowSystemWrites)
        {
            string reason = $"Plugin '{name}' may not change its system configuration (PluginOptions.AllowSystemConfigWrites is off); it may read it.";
            ConfigLog.Refused(logger, name, reason);
            throw new RemoteException(ErrorCodes.Forbidden, reason) { Cmd = cmd };
        }
    }

    /// <summary>The answer for what the store raised, or <see langword="null"/> to answer it as any handler failure.</summary>
    internal static RemoteException? Translate(Exception failure, string cmd) => failure switch
    {
        ArgumentException => new RemoteException(ErrorCodes.InvalidRequest, failure.Message) { Cmd = cmd },

        // JSON the store cannot take (System.Text.Json's own limits): the value sent, not the file, which is read as InvalidDataException.
        System.Text.Json.JsonException => new RemoteException(ErrorCodes.InvalidRequest, $"The value cannot be stored: {failure.Message}") { Cmd = cmd },
        PluginConfigTooLargeException => new RemoteException(ErrorCodes.ConfigTooLarge, failure.Message) { Cmd = cmd },
        InvalidDataException => new RemoteException(ErrorCodes.ConfigFileInvalid, failure.Message) { Cmd = cmd },
        _ => null,
    };
}
