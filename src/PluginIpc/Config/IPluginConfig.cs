using System.Text.Json;

namespace PluginIpc;

/// <summary>
/// A plugin's configuration (<see cref="Main.Config"/>): its own part of the host's store (<see cref="IPluginConfigStore"/>),
/// read and written through its host, which binds the plugin's name (a plugin cannot name another). Every scope can be read;
/// <see cref="PluginConfigScope.System"/> can be written only when the host allows it (<see cref="PluginOptions.AllowSystemConfigWrites"/>).
/// A change, by the plugin itself or by anyone else, runs the plugin's <see cref="MainOptions.OnConfigChanged"/> hook.
/// </summary>
/// <remarks>
/// Errors, as the host's store raises them: <see cref="ArgumentException"/> (an empty, too long or ill-formed key, an undefined
/// value, a value nested more than 63 deep),
/// <see cref="UnauthorizedAccessException"/> (a write the host refuses), <see cref="PluginConfigTooLargeException"/> (the file
/// would grow past its limit), <see cref="InvalidDataException"/> (the file is not a JSON object); a
/// <see cref="PluginIpcException"/> when the host has no store. Each keeps the host's answer as its inner <see cref="RemoteException"/>.
/// </remarks>
public interface IPluginConfig
{
    /// <summary>Returns the plugin's whole configuration in a scope.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>A JSON object; an empty one when there is none.</returns>
    Task<JsonElement> GetAsync(PluginConfigScope scope, CancellationToken cancellationToken = default);

    /// <summary>Returns one value of the plugin's configuration.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key (ordinal).</param>
    /// <param name="cancellationToken">Cancels the call.</param>
    /// <returns>The value, or <see langword="null"/> when the key is absent.</returns>
    Task<JsonElement?> GetAsync(PluginConfigScope scope, string key, CancellationToken cancellationToken = default);

    /// <summary>Sets one value of the plugin's configuration.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key (ordinal).</param>
    /// <param name="value">The value: any JSON value, <c>null</c> included.</param>
    /// <param name="cancellationToken">Cancels the call (a change the host has begun to write still completes).</param>
    /// <returns>A task that completes once the host has written the file.</returns>
    Task SetAsync(PluginConfigScope scope, string key, JsonElement value, CancellationToken cancellationToken = default);

    /// <summary>Removes one key of the plugin's configuration.</summary>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key (ordinal).</param>
    /// <param name="cancellationToken">Cancels the call (a change the host has begun to write still completes).</param>
    /// <returns><see langword="true"/> when the key was there and is removed.</returns>
    Task<bool> RemoveAsync(PluginConfigScope scope, string key, CancellationToken cancellationToken = default);
}
