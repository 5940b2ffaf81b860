namespace PluginIpc;

/// <summary>One launch's mark (<see cref="LaunchVariables.Instance"/>), with when and as which process the plugin started.</summary>
/// <param name="Value">The mark: 32 hex digits, new for each launch.</param>
/// <param name="ProcessId">The plugin process.</param>
/// <param name="StartTicks">The plugin's start in clock ticks since boot (/proc/[pid]/stat field 22): its descendants start then or later.</param>
internal readonly record struct LaunchMark(string Value, int ProcessId, long StartTicks);
