namespace PluginIpc;

/// <summary>Settings of the <see cref="IPluginManager"/> that <c>AddPluginIpc</c> registers.</summary>
/// <remarks>Read once, when the manager first needs its plugins; later changes do not affect it.</remarks>
public sealed class PluginIpcOptions
{
    /// <summary>Gets the default folder searched for plugins: <c>plugins</c> under <see cref="AppContext.BaseDirectory"/>.</summary>
    public static string DefaultPluginFolder { get; } = Path.Combine(AppContext.BaseDirectory, "plugins");

    /// <summary>
    /// Gets the folders searched for plugins. Each subfolder that holds a <c>plugin.json</c> manifest is one plugin. Relative
    /// folders are relative to <see cref="AppContext.BaseDirectory"/>; folders that do not exist are skipped.
    /// </summary>
    /// <value>Defaults to one folder, <see cref="DefaultPluginFolder"/>. Clear the list to turn discovery off.</value>
    public IList<string> PluginFolders { get; } = [DefaultPluginFolder];

    /// <summary>Gets or sets when plugins start that neither their registration nor their manifest says.</summary>
    /// <value>Defaults to <see cref="StartMode.OnFirstUse"/>.</value>
    public StartMode DefaultStartMode { get; set; } = StartMode.OnFirstUse;

    /// <summary>
    /// Gets or sets a value indicating whether <see cref="IPluginManager.StartAsync(CancellationToken)"/> throws when a <see cref="StartMode.AtStartup"/>
    /// plugin cannot start, so that the start of a generic host (<c>AddPluginIpcHostedService</c>) fails.
    /// </summary>
    /// <value>
    /// Defaults to <see langword="false"/>: a plugin that cannot start is logged at error level and reported
    /// <see cref="PluginState.Failed"/> by <see cref="IPluginManager.GetState"/>, the application starts, and the next
    /// <see cref="IPluginManager.GetAsync"/> tries again. When <see langword="true"/>, <see cref="IPluginManager.StartAsync(CancellationToken)"/> throws a
    /// <see cref="PluginStartException"/> that names each such plugin and its cause, once all of them have started or failed.
    /// </value>
    public bool ThrowOnStartupFailure { get; set; }

    /// <summary>Gets the settings of the host's <see cref="IPluginBus"/>: the application id of <c>:topics</c>, subscribers' queues, and the format of typed payloads.</summary>
    public PluginBusOptions Bus { get; } = new();

    /// <summary>Gets the settings of the host's configuration store (<see cref="IPluginConfigStore"/>): its folder and the largest file.</summary>
    public PluginConfigOptions Config { get; } = new();
}
