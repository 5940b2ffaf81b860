namespace PluginIpc.AspNetCore.Calls;

/// <summary>The serializer format a plugin announces in its handshake (<c>"serializer"</c>).</summary>
internal enum PluginFormat
{
    /// <summary>MessagePack: the default, also when the plugin announces none.</summary>
    MessagePack,

    /// <summary>UTF-8 JSON.</summary>
    Json,

    /// <summary>A format the gateway does not convert.</summary>
    Unknown,
}
