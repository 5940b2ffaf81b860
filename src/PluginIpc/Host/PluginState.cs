namespace PluginIpc;

/// <summary>Where a <see cref="Plugin"/> is in its life.</summary>
public enum PluginState
{
    /// <summary>Created; not started yet.</summary>
    Created,

    /// <summary>The process is starting and the handshake is under way.</summary>
    Starting,

    /// <summary>Connected: the handshake succeeded and calls go through.</summary>
    Running,

    /// <summary>The connection was lost or the process exited without being asked to.</summary>
    Disconnected,

    /// <summary>Waiting out the restart delay, or starting the replacement process.</summary>
    Restarting,

    /// <summary>Stopping on request.</summary>
    Stopping,

    /// <summary>Stopped on request; no process runs.</summary>
    Stopped,

    /// <summary>Ended by a failure that the restart policy does not (or no longer) cover; no process runs.</summary>
    Failed,
}
