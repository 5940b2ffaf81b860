namespace PluginIpc.AspNetCore.Calls;

/// <summary>How a plugin's answer is turned into JSON, chosen by the shape of the request's params.</summary>
internal enum ResultKind
{
    /// <summary>UTF-8 text as a JSON string; bytes that are not UTF-8 as <c>{"$base64": "..."}</c>.</summary>
    Text,

    /// <summary>The bytes as <c>{"$base64": "..."}</c>.</summary>
    Base64,

    /// <summary>One value in the plugin's serializer format, converted to JSON; an empty answer is <c>null</c>.</summary>
    Value,
}
