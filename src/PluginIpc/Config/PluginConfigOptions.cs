namespace PluginIpc;

/// <summary>Settings of the host's configuration store (<see cref="IPluginConfigStore"/>): where its files are and how large they may grow.</summary>
public sealed class PluginConfigOptions
{
    /// <summary>The longest key, in UTF-16 characters.</summary>
    public const int MaxKeyLength = 256;

    /// <summary>
    /// Gets the default folder of the store: <c>PluginIpc/{entry assembly name}/config</c> under
    /// <see cref="Environment.SpecialFolder.LocalApplicationData"/> (<c>~/.local/share</c> on Linux, <c>%LOCALAPPDATA%</c> on Windows),
    /// or under <see cref="AppContext.BaseDirectory"/> when the system has no such folder.
    /// </summary>
    public static string DefaultDirectory { get; } = Path.Combine(
        Environment.GetFolderPath(Environment.SpecialFolder.LocalApplicationData) is { Length: > 0 } local ? local : AppContext.BaseDirectory,
        "PluginIpc",
        System.Reflection.Assembly.GetEntryAssembly()?.GetName().Name ?? "app",
        "config");

    /// <summary>Gets or sets the folder that holds <c>{scope}/{plugin}.json</c> (<c>plugin</c>, <c>user</c> and <c>system</c>); relative to <see cref="AppContext.BaseDirectory"/>.</summary>
    /// <value>Defaults to <see cref="DefaultDirectory"/>. Created on the first write.</value>
    public string Directory { get; set; } = DefaultDirectory;

    /// <summary>Gets or sets the largest file, in bytes: a change that would make a file larger fails, and a larger file is not read.</summary>
    /// <value>Defaults to 1 MiB; at least 2 (<c>{}</c>), at most <see cref="Array.MaxLength"/>.</value>
    public long MaxFileBytes { get; set; } = 1024 * 1024;

    internal PluginConfigOptions Snapshot()
    {
        ArgumentException.ThrowIfNullOrWhiteSpace(Directory, nameof(Directory));
        ArgumentOutOfRangeException.ThrowIfLessThan(MaxFileBytes, 2, nameof(MaxFileBytes));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(MaxFileBytes, Array.MaxLength, nameof(MaxFileBytes));
        return new PluginConfigOptions { Directory = Path.GetFullPath(Directory, AppContext.BaseDirectory), MaxFileBytes = MaxFileBytes };
    }
}
