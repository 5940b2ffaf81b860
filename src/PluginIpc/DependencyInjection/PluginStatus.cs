namespace PluginIpc;

/// <summary>Where a plugin of an <see cref="IPluginManager"/> is in its life, read without starting it.</summary>
public sealed record PluginStatus
{
    internal PluginStatus(string name, PluginState state)
    {
        Name = name;
        State = state;
    }

    /// <summary>Gets the plugin's name.</summary>
    public string Name { get; }

    /// <summary>Gets its state, as <see cref="IPluginManager.GetState"/> reports it.</summary>
    public PluginState State { get; }

    /// <summary>Gets the id of its running process, or <see langword="null"/> when none runs.</summary>
    public int? ProcessId { get; internal init; }

    /// <summary>Gets when its running process was connected, or <see langword="null"/> when none runs.</summary>
    public DateTimeOffset? StartedAt { get; internal init; }

    /// <summary>Gets how often its current <see cref="Plugin"/> was restarted after a failure.</summary>
    public int RestartCount { get; internal init; }

    /// <summary>Gets the last exit of its process, or <see langword="null"/> when none exited yet.</summary>
    public PluginExit? LastExit { get; internal init; }

    /// <summary>Gets its recent exits, newest first (up to 20), across restarts and new starts.</summary>
    public IReadOnlyList<PluginExit> Exits { get; internal init; } = [];

    /// <summary>Gets why it last failed to start or stopped working, or <see langword="null"/> when it never did.</summary>
    public string? LastError { get; internal init; }

    /// <summary>Gets a value indicating whether it was stopped with <see cref="IPluginManager.StopPluginAsync"/> and stays stopped until started again.</summary>
    public bool IsHeld { get; internal init; }

    /// <summary>Gets the name of its framer (<see cref="PluginOptions.Framer"/>), or <see langword="null"/> before its first start.</summary>
    public string? Framer { get; internal init; }

    /// <summary>Gets how it is connected (<see cref="PluginOptions.Transport"/>), or <see langword="null"/> before its first start.</summary>
    public PluginTransport? Transport { get; internal init; }

    /// <summary>Gets the metadata its running process announced in the handshake; empty when none runs.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; internal init; } = new Dictionary<string, string>();

    /// <summary>Gets the bus topics it published to (the first 100 distinct ones), sorted.</summary>
    public IReadOnlyList<string> PublishedTopics { get; internal init; } = [];

    /// <summary>Gets the bus topics and patterns it subscribes to, sorted.</summary>
    public IReadOnlyList<string> Subscriptions { get; internal init; } = [];
}
