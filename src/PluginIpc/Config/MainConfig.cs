using System.Text.Json;

namespace PluginIpc;

/// <summary>A plugin's <see cref="IPluginConfig"/> (<see cref="Main.Config"/>): the configuration commands sent to its host, their errors turned back into the store's exceptions.</summary>
internal sealed class MainConfig : IPluginConfig
{
    private readonly Main _main;
    private readonly IPluginSerializer _wire;

    public MainConfig(Main main, IPluginSerializer wire)
    {
        _main = main;
        _wire = wire;
    }

    /// <inheritdoc/>
    public async Task<JsonElement> GetAsync(PluginConfigScope scope, CancellationToken cancellationToken = default)
    {
        ReadOnlyMemory<byte> answer = await CallAsync(Commands.ConfigGet, ConfigWire.Key(_wire, scope, null), cancellationToken).ConfigureAwait(false);
        return ConfigWire.ReadValue(_wire, answer) is { ValueKind: JsonValueKind.Object } root
            ? root
            : throw new ProtocolException($"The host's answer to {Commands.ConfigGet} of the whole {ConfigNames.Of(scope)} scope is not a JSON object.");
    }

    /// <inheritdoc/>
    public async Task<JsonElement?> GetAsync(PluginConfigScope scope, string key, CancellationToken cancellationToken = default)
    {
        ConfigNames.ValidateKey(key, nameof(key));
        ReadOnlyMemory<byte> answer = await CallAsync(Commands.ConfigGet, ConfigWire.Key(_wire, scope, key), cancellationToken).ConfigureAwait(false);
        return ConfigWire.ReadValue(_wire, answer);
    }

    /// <inheritdoc/>
    public async Task SetAsync(PluginConfigScope scope, string key, JsonElement value, CancellationToken cancellationToken = default)
    {
        ConfigNames.ValidateKey(key, nameof(key));
        if (value.ValueKind == JsonValueKind.Undefined)
        {
            throw new ArgumentException("The value is undefined (default(JsonElement)); JSON null is a value.", nameof(value));
        }

        await CallAsync(Commands.ConfigSet, ConfigWire.Set(_wire, scope, key, value), cancellationToken).ConfigureAwait(false);
    }

    /// <inheritdoc/>
    public async Task<bool> RemoveAsync(PluginConfigScope scope, string key, CancellationToken cancellationToken = default)
    {
        ConfigNames.ValidateKey(key, nameof(key));
        ReadOnlyMemory<byte> answer = await CallAsync(Commands.ConfigRemove, ConfigWire.Key(_wire, scope, key), cancellationToken).ConfigureAwait(false);
        return ConfigWire.ReadRemoved(_wire, answer);
    }

    private async Task<ReadOnlyMemory<byte>> CallAsync(string cmd, byte[] buffer, CancellationToken cancellationToken)
    {
        try
        {
            return await _main.CallAsync(cmd, buffer, cancellationToken).ConfigureAwait(false);
        }
        catch (RemoteException ex) when (Translate(ex, cmd) is { } translated)
        {
            throw translated;
        }
    }

    /// <summary>The store's exception for the host's answer, or <see langword="null"/> to let the <see cref="RemoteException"/> through.</summary>
    private Exception? Translate(RemoteException answer, string cmd) => answer.Code switch
    {
        ErrorCodes.InvalidRequest => new ArgumentException(answer.Message, answer),
        ErrorCodes.Forbidden => new UnauthorizedAccessException(answer.Message, answer),
        ErrorCodes.ConfigTooLarge => new PluginConfigTooLargeException(answer.Message, answer),
        ErrorCodes.ConfigFileInvalid => new InvalidDataException(answer.Message, answer),
        ErrorCodes.UnknownCommand => new PluginIpcException($"The host of plugin '{_main.Name}' has no configuration store: it answered '{cmd}' with {answer.Code}. Hosts get one from AddPluginIpc, for plugins the manager starts.", answer),
        _ => null,
    };
}
