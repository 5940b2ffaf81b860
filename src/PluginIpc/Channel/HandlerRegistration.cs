namespace PluginIpc;

/// <summary>A handler as the channel registered it, with what the channel learned about how it runs.</summary>
internal sealed class HandlerRegistration : SlowRunCounter
{
    public HandlerRegistration(string cmd, ChunkHandler handler)
    {
        Cmd = cmd;
        Handler = handler;
    }

    /// <summary>Gets the command it handles, or <c>*</c> for the fallback.</summary>
    public string Cmd { get; }

    public ChunkHandler Handler { get; }
}
