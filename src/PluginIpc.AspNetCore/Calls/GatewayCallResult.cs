namespace PluginIpc.AspNetCore.Calls;

/// <summary>The outcome of a gateway call: the result as one UTF-8 JSON value, or an error.</summary>
internal readonly struct GatewayCallResult
{
    private GatewayCallResult(byte[]? json, GatewayError? error)
    {
        Json = json;
        Error = error;
    }

    /// <summary>Gets the result, one UTF-8 JSON value, when the call succeeded.</summary>
    public byte[]? Json { get; }

    /// <summary>Gets the failure, when the call failed.</summary>
    public GatewayError? Error { get; }

    public static GatewayCallResult Success(byte[] json) => new(json, null);

    public static GatewayCallResult Failure(GatewayError error) => new(null, error);

    public static GatewayCallResult Failure(GatewayErrorKind kind, string code, string message) => new(null, new GatewayError(kind, code, message));
}
