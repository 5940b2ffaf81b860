namespace PluginIpc.AspNetCore.Calls;

/// <summary>Thrown by <see cref="PayloadMapper"/> when a value cannot be mapped: the call fails with <see cref="Error"/>.</summary>
internal sealed class GatewayMappingException : Exception
{
    public GatewayMappingException()
        : this(new GatewayError(GatewayErrorKind.InvalidParams, ErrorCodes.InvalidRequest, "Invalid params."))
    {
    }

    public GatewayMappingException(string message)
        : this(new GatewayError(GatewayErrorKind.InvalidParams, ErrorCodes.InvalidRequest, message))
    {
    }

    public GatewayMappingException(string message, Exception innerException)
        : base(message, innerException) =>
        Error = new GatewayError(GatewayErrorKind.InvalidParams, ErrorCodes.InvalidRequest, message);

    public GatewayMappingException(GatewayError error)
        : base(error?.Message) =>
        Error = error ?? throw new ArgumentNullException(nameof(error));

    public GatewayError Error { get; }
}
