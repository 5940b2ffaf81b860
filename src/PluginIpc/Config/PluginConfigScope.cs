namespace PluginIpc;

/// <summary>The scope of a plugin's configuration: one JSON file per scope and plugin in the host's store (<see cref="IPluginConfigStore"/>).</summary>
public enum PluginConfigScope
{
    /// <summary>The plugin's own settings (<c>plugin</c> on the wire).</summary>
    Plugin,

    /// <summary>The user's preferences for the plugin (<c>user</c> on the wire).</summary>
    User,

    /// <summary>Settings the host's administrator owns (<c>system</c> on the wire); plugins read them, and write them only when <see cref="PluginOptions.AllowSystemConfigWrites"/> is set.</summary>
    System,
}
