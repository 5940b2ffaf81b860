namespace PluginIpc;

/// <summary>Describes a change of <see cref="Plugin.State"/>.</summary>
public sealed class PluginStateChangedEventArgs : EventArgs
{
    /// <summary>Initializes a new instance.</summary>
    /// <param name="previousState">The state before the change.</param>
    /// <param name="state">The state after the change.</param>
    /// <param name="error">What caused the change, for <see cref="PluginState.Disconnected"/> and <see cref="PluginState.Failed"/>.</param>
    public PluginStateChangedEventArgs(PluginState previousState, PluginState state, Exception? error)
    {
        PreviousState = previousState;
        State = state;
        Error = error;
    }

    /// <summary>Gets the state before the change.</summary>
    public PluginState PreviousState { get; }

    /// <summary>Gets the state after the change.</summary>
    public PluginState State { get; }

    /// <summary>Gets what caused the change, if it was a failure.</summary>
    public Exception? Error { get; }
}
