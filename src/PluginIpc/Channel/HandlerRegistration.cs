namespace PluginIpc;

/// <summary>A handler as the channel registered it, with what the channel learned about how it runs.</summary>
internal sealed class HandlerRegistration : SlowRunCounter
{
    public HandlerRegistration(string cmd, ChunkHandler handler)
    {
        Cmd = cmd;
        Handler = handler;
        LendsRequestBuffers = handler.Target is PooledRequestHandler;
    }

    /// <summary>Gets the command it handles, or <c>*</c> for the fallback.</summary>
    public string Cmd { get; }

    public ChunkHandler Handler { get; }

    /// <summary>Gets a value indicating whether its requests' large buffers may be lent from the pool (see <see cref="PooledBuffer.LendTo"/>).</summary>
    public bool LendsRequestBuffers { get; }

    /// <summary>Gets a value indicating whether it handles one-way messages on the read loop (see <see cref="HandlerRegistry.HandleInline"/>).</summary>
    public bool RunsInline { get; init; }

    /// <summary>Gets a value indicating whether it is the fallback, which handles any command a peer sends.</summary>
    public bool IsFallback { get; init; }

    /// <summary>Gets what the requests it handles report as <c>rpc.method</c>: its command, or <c>_OTHER</c> for the fallback, which any command a peer makes up reaches.</summary>
    public string Method => IsFallback ? TelemetryNames.Other : Cmd;
}
