using System.Text.Json;

namespace PluginIpc;

/// <summary>
/// The host's configuration store: per plugin and <see cref="PluginConfigScope"/>, a JSON object of key to value, kept in one
/// file (<c>{Directory}/{scope}/{plugin}.json</c>, <see cref="PluginConfigOptions"/>). Registered by <c>AddPluginIpc</c>; the
/// plugins the manager starts use the same store through <see cref="Main.Config"/>. Thread safe.
/// </summary>
/// <remarks>
/// A change is written atomically (a temporary file in the same folder, flushed to disk, then renamed over the file), so a
/// crash leaves the old file or the new one, never a mix; changes to one file are made one at a time, so concurrent writers
/// never lose an update (within this process: two processes that share a folder are not coordinated). Every change raises
/// <c>sys.config.changed</c> for that plugin only, and for the host's own subscribers of that topic, with the UTF-8 JSON payload
/// <c>{"plugin":"echo","scope":"user","key":"theme"}</c> (see docs/PROTOCOL.md, section 11). A change that changes nothing
/// (the same value set again, a key removed that is absent) writes nothing and raises nothing.
/// Errors: <see cref="ArgumentException"/> for a plugin name that is not a safe file name on every system (empty, a path
/// separator, <c>..</c>, a control character or unpaired surrogate, more than 200 bytes in UTF-8, a Windows device name such
/// as <c>con</c> or <c>nul.x</c>), a key that is empty, longer than <see cref="PluginConfigOptions.MaxKeyLength"/> or has an
/// unpaired surrogate, or a value that is undefined or nests arrays and objects more than 63 deep (its file could not be read back); <see cref="PluginConfigTooLargeException"/> when a change would make the file larger than
/// <see cref="PluginConfigOptions.MaxFileBytes"/>; <see cref="InvalidDataException"/>, naming the file, when the file is not a
/// JSON object or is larger than that limit (it is left as it is).
/// </remarks>
public interface IPluginConfigStore
{
    /// <summary>Returns the whole configuration of a plugin in a scope.</summary>
    /// <param name="plugin">The plugin's name.</param>
    /// <param name="scope">The scope.</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>A JSON object; an empty one when there is no file.</returns>
    Task<JsonElement> GetAsync(string plugin, PluginConfigScope scope, CancellationToken cancellationToken = default);

    /// <summary>Returns one value of a plugin's configuration.</summary>
    /// <param name="plugin">The plugin's name.</param>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key (ordinal).</param>
    /// <param name="cancellationToken">Cancels the read.</param>
    /// <returns>The value, or <see langword="null"/> when the key is absent.</returns>
    Task<JsonElement?> GetAsync(string plugin, PluginConfigScope scope, string key, CancellationToken cancellationToken = default);

    /// <summary>Sets one value of a plugin's configuration, adding the key or replacing its value.</summary>
    /// <param name="plugin">The plugin's name.</param>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key (ordinal).</param>
    /// <param name="value">The value: any JSON value, <c>null</c> included.</param>
    /// <param name="cancellationToken">Cancels the change while it waits its turn; once writing has begun it completes.</param>
    /// <returns>A task that completes once the file is written.</returns>
    Task SetAsync(string plugin, PluginConfigScope scope, string key, JsonElement value, CancellationToken cancellationToken = default);

    /// <summary>Removes one key of a plugin's configuration.</summary>
    /// <param name="plugin">The plugin's name.</param>
    /// <param name="scope">The scope.</param>
    /// <param name="key">The key (ordinal).</param>
    /// <param name="cancellationToken">Cancels the change while it waits its turn; once writing has begun it completes.</param>
    /// <returns><see langword="true"/> when the key was there and is removed; <see langword="false"/> when it was absent.</returns>
    Task<bool> RemoveAsync(string plugin, PluginConfigScope scope, string key, CancellationToken cancellationToken = default);
}
