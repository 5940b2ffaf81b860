namespace PluginIpc;

/// <summary>Where a plugin of an <see cref="IPluginManager"/> is in its life, read without starting it.</summary>
public sealed record PluginStatus
{
    internal PluginStatus(string name, PluginState state, int? processId, int restartCount, PluginExit? lastExit, string? lastError)
    {
        Name = name;
        State = state;
        ProcessId = processId;
        RestartCount = restartCount;
        LastExit = lastExit;
        LastError = lastError;
    }

    /// <summary>Gets the plugin's name.</summary>
    public string Name { get; }

    /// <summary>Gets its state, as <see cref="IPluginManager.GetState"/> reports it.</summary>
    public PluginState State { get; }

    /// <summary>Gets the id of its running process, or <see langword="null"/> when none runs.</summary>
    public int? ProcessId { get; }

    /// <summary>Gets how often its current <see cref="Plugin"/> was restarted after a failure.</summary>
    public int RestartCount { get; }

    /// <summary>Gets the last exit of its process, or <see langword="null"/> when none exited yet.</summary>
    public PluginExit? LastExit { get; }

    /// <summary>Gets why it last failed to start or stopped working, or <see langword="null"/> when it never did.</summary>
    public string? LastError { get; }
}
