namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>The actions the gateway handles itself; any other action is a command of the envelope's plugin (or, without one, an event).</summary>
internal static class WebChannelActions
{
    public const string Batch = "batch";
    public const string GetConfig = "get_config";
    public const string SetConfig = "set_config";
    public const string PageReady = "page_ready";
    public const string DataChanged = "data_changed";
    public const string PageDestroy = "page_destroy";

    /// <summary>The handshake metadata key in which a plugin lists the events it takes (comma separated).</summary>
    public const string EventsMetadataKey = "webchannel.events";
}
