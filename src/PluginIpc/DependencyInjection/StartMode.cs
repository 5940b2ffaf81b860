namespace PluginIpc;

/// <summary>When an <see cref="IPluginManager"/> starts a plugin.</summary>
public enum StartMode
{
    /// <summary>On the first <see cref="IPluginManager.GetAsync(string, CancellationToken)"/> for it. This is the default.</summary>
    OnFirstUse = 0,

    /// <summary>When the application starts: in <see cref="IPluginManager.StartAsync(CancellationToken)"/>, which the hosting package calls.</summary>
    AtStartup = 1,
}
