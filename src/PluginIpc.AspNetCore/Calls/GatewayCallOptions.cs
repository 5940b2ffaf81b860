namespace PluginIpc.AspNetCore.Calls;

/// <summary>How a dialect wants a gateway call made: the shape of its params, the headers to send, and a step once the plugin is reached.</summary>
internal sealed class GatewayCallOptions
{
    /// <summary>JSON-RPC's shapes: a string is text, <c>{"$base64"}</c> bytes, anything else one typed value.</summary>
    public static readonly GatewayCallOptions JsonRpc = new();

    /// <summary>Gets whether the params are always one typed value in the plugin's format (absent: an empty buffer).</summary>
    public bool OneValue { get; init; }

    /// <summary>Gets the headers of the request chunk, if any.</summary>
    public IReadOnlyDictionary<string, string>? Headers { get; init; }

    /// <summary>Gets what runs once the plugin is resolved, before the call, instead of making sure of onInit; a failure it returns ends the call with it.</summary>
    public Func<Plugin, CancellationToken, ValueTask<GatewayError?>>? Reached { get; init; }
}
