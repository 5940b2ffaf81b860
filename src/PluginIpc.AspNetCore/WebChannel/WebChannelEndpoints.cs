using Microsoft.AspNetCore.Http;
using Microsoft.Extensions.Options;
using PluginIpc.AspNetCore.Calls;
using PluginIpc.AspNetCore.Transport;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>The request delegates of <c>POST {prefix}/webchannel</c> and <c>{prefix}/webchannel/ws</c> for the WebChannel envelope.</summary>
internal sealed class WebChannelEndpoints
{
    private readonly WebChannelDispatcher _dispatcher;
    private readonly WebChannelLifecycle _lifecycle;
    private readonly GatewayHttpTransport _transport;
    private readonly int _maxInFlight;

    public WebChannelEndpoints(WebChannelDispatcher dispatcher, WebChannelLifecycle lifecycle, GatewayHttpTransport transport, IOptions<PluginGatewayOptions> options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _dispatcher = dispatcher;
        _lifecycle = lifecycle;
        _transport = transport;
        _maxInFlight = options.Value.MaxCallsInFlightPerConnection;
    }

    /// <summary>
    /// Handles <c>POST {prefix}/webchannel</c>: one envelope in the body, its response (200) in the answer. A request refused
    /// before its envelope is read keeps its status (401, 403, 413, 415, 500) and gets a response with <c>requestId</c> null.
    /// </summary>
    public async Task HandleHttpAsync(HttpContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        byte[] response;
        using (BoundedMessageBuffer? body = await _transport.TryReadHttpAsync(context).ConfigureAwait(false))
        {
            if (body is null)
            {
                response = Refusal(context.Response.StatusCode);
            }
            else
            {
                var client = new WebChannelClient(WebChannelClient.UserOf(context), Pages: null, context.RequestAborted);
                response = await _dispatcher.HandleAsync(body.Written, client).ConfigureAwait(false);
                context.Response.StatusCode = StatusCodes.Status200OK;
            }
        }

        context.Response.ContentType = "application/json";
        context.Response.ContentLength = response.Length;
        await context.Response.Body.WriteAsync(response, context.RequestAborted).ConfigureAwait(false);
    }

    /// <summary>Handles <c>{prefix}/webchannel/ws</c>: accepts the WebSocket and runs the envelope session until it ends.</summary>
    public Task HandleWebSocketAsync(HttpContext context) =>
        _transport.RunWebSocketAsync(context, connection => new WebChannelSession(_dispatcher, _lifecycle, connection, WebChannelClient.UserOf(context), _maxInFlight));

    private byte[] Refusal(int status) => status switch
    {
        StatusCodes.Status401Unauthorized => _dispatcher.Refusal(WebChannelErrorCodes.Unauthorized, "Unauthorized: no or a wrong bearer token.", "UNAUTHENTICATED"),
        StatusCodes.Status403Forbidden => _dispatcher.Refusal(WebChannelErrorCodes.Unauthorized, "Forbidden: origin not allowed, or not a loopback client.", ErrorCodes.Forbidden),
        StatusCodes.Status413PayloadTooLarge => _dispatcher.Refusal(WebChannelErrorCodes.InvalidRequest, "The request is larger than the gateway takes.", ErrorCodes.PayloadTooLarge),
        StatusCodes.Status415UnsupportedMediaType => _dispatcher.Refusal(WebChannelErrorCodes.InvalidRequest, "The request must be application/json.", ErrorCodes.InvalidRequest),
        _ => _dispatcher.Refusal(WebChannelErrorCodes.Unknown, "The gateway is not configured to serve requests.", GatewayErrorCodes.Internal),
    };
}
