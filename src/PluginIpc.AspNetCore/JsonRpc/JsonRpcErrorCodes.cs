using PluginIpc.AspNetCore.Calls;

namespace PluginIpc.AspNetCore.JsonRpc;

/// <summary>The JSON-RPC 2.0 error codes the gateway answers (docs/GATEWAY.md, "Errors").</summary>
internal static class JsonRpcErrorCodes
{
    public const int ParseError = -32700;
    public const int InvalidRequest = -32600;
    public const int MethodNotFound = -32601;
    public const int InvalidParams = -32602;
    public const int InternalError = -32603;
    public const int PluginError = -32000;
    public const int Timeout = -32001;
    public const int PluginUnavailable = -32002;
    public const int Forbidden = -32003;
    public const int TooMany = -32004;
    public const int ResponseTooLarge = -32005;
    public const int RequestCancelled = -32800;

    public static int From(GatewayErrorKind kind) => kind switch
    {
        GatewayErrorKind.MethodNotFound => MethodNotFound,
        GatewayErrorKind.InvalidParams => InvalidParams,
        GatewayErrorKind.PluginError => PluginError,
        GatewayErrorKind.Timeout => Timeout,
        GatewayErrorKind.PluginUnavailable => PluginUnavailable,
        GatewayErrorKind.Forbidden => Forbidden,
        GatewayErrorKind.TooMany => TooMany,
        GatewayErrorKind.ResponseTooLarge => ResponseTooLarge,
        GatewayErrorKind.Cancelled => RequestCancelled,
        _ => InternalError,
    };
}
