namespace PluginIpc;

/// <summary>One connected plugin and the channel to it; a <see cref="Plugin"/> replaces it on restart.</summary>
internal sealed class PluginInstance : IAsyncDisposable
{
    private Exception? _firstCause;

    public PluginInstance(IConnectedPlugin process, Channel channel, DateTimeOffset startedAt)
    {
        Process = process;
        Channel = channel;
        StartedAt = startedAt;
    }

    /// <summary>Gets when the process was connected.</summary>
    public DateTimeOffset StartedAt { get; }

    /// <summary>Gets the plugin's process, or whatever its connector connected: supervision uses nothing else.</summary>
    public IConnectedPlugin Process { get; }

    public Channel Channel { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; set; } = new Dictionary<string, string>();

    /// <summary>Gets or sets a value indicating whether the handshake succeeded, so calls may use the channel.</summary>
    public bool IsReady { get; set; }

    public Task? Supervision { get; set; }

    /// <summary>Gets or sets why the host gave up on the process before it exited (unanswered pings): the first cause of its end.</summary>
    public Exception? FirstCause
    {
        get => Volatile.Read(ref _firstCause);
        set => Volatile.Write(ref _firstCause, value);
    }

    /// <summary>Closes the channel and kills the process if it still runs. Never throws.</summary>
    public async ValueTask DisposeAsync()
    {
        await Channel.DisposeAsync().ConfigureAwait(false);
        await Process.DisposeAsync().ConfigureAwait(false);
    }
}
