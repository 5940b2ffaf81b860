namespace PluginIpc;

/// <summary>Where a plugin of an <see cref="IPluginManager"/> is in its life, read without starting it.</summary>
/// <param name="Name">The plugin's name.</param>
/// <param name="State">Its state, as <see cref="IPluginManager.GetState"/> reports it.</param>
/// <param name="ProcessId">The id of its running process, or <see langword="null"/> when none runs.</param>
/// <param name="RestartCount">How often its current <see cref="Plugin"/> was restarted after a failure.</param>
/// <param name="LastExit">The last exit of its process, or <see langword="null"/> when none exited yet.</param>
/// <param name="LastError">Why it last failed to start or stopped working, or <see langword="null"/> when it never did.</param>
public sealed record PluginStatus(string Name, PluginState State, int? ProcessId, int RestartCount, PluginExit? LastExit, string? LastError);
