namespace PluginIpc;

/// <summary>A request this side sent and whose response it awaits.</summary>
internal sealed class PendingCall : TaskCompletionSource<Chunk>
{
    public PendingCall(Channel channel, ulong threadId, string cmd)
        : base(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        Channel = channel;
        ThreadId = threadId;
        Cmd = cmd;
    }

    public Channel Channel { get; }

    public ulong ThreadId { get; }

    public string Cmd { get; }

    public TimeSpan Timeout { get; set; }

    public CancellationToken CallerToken { get; set; }
}
