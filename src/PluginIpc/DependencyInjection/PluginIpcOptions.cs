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
}
