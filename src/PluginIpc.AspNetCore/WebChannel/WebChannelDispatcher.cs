using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PluginIpc.AspNetCore.Calls;
using PluginIpc.AspNetCore.Diagnostics;
using PluginIpc.AspNetCore.Security;
using PluginIpc.AspNetCore.Transport;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>
/// The WebChannel envelope dialect, for any transport: validates an envelope, runs its action (a plugin call, an event, a
/// batch, configuration or a page's lifecycle) once per requestId within the window, and writes the response.
/// </summary>
internal sealed partial class WebChannelDispatcher
{
    /// <summary>The most operations one <c>batch</c> may hold.</summary>
    public const int MaxBatchOperations = 100;

    /// <summary>The header of each plugin call that carries the envelope's <c>requestId</c>.</summary>
    public const string RequestIdHeader = "webchannel.requestId";

    /// <summary>The header of each plugin call that carries the envelope's <c>pageId</c>, when it has one.</summary>
    public const string PageIdHeader = "webchannel.pageId";

    // What a response holds beside a batch's results: requestId (at most 128 characters, escaped), success, error, timestamp, version.
    private const int EnvelopeBytes = 1024;

    private static readonly JsonDocumentOptions s_parse = new() { MaxDepth = 64 };
    private static readonly byte[] s_null = "null"u8.ToArray();

    private readonly GatewayCaller _caller;
    private readonly IPluginManager _manager;
    private readonly IPluginConfigStore _config;
    private readonly WebChannelLifecycle _lifecycle;
    private readonly RequestIdCache _requestIds;
    private readonly ExposureList _exposure;
    private readonly bool _allowSystemConfigWrites;
    private readonly TimeProvider _time;
    private readonly ILogger _logger;
    private readonly int _maxMessageBytes;

    // The results of a batch's operations past its size limit: the one that passed it ran, the later ones did not.
    private readonly byte[] _dropped;
    private readonly byte[] _notRun;

    public WebChannelDispatcher(GatewayCaller caller, IPluginManager manager, IPluginConfigStore config, WebChannelLifecycle lifecycle, IOptions<PluginGatewayOptions> options, ILoggerFactory loggerFactory, TimeProvider? time = null)
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _logger = loggerFactory.CreateLogger(GatewayLog.Category);
        _caller = caller;
        _manager = manager;
        _config = config;
        _lifecycle = lifecycle;
        _exposure = new ExposureList(options.Value);
        _allowSystemConfigWrites = options.Value.AllowSystemConfigWrites;
        _time = time ?? TimeProvider.System;
        _requestIds = new RequestIdCache(options.Value.RequestIdWindow, _time);
        _maxMessageBytes = options.Value.MaxMessageBytes;
        _dropped = BatchTooLarge(ran: true, _maxMessageBytes);
        _notRun = BatchTooLarge(ran: false, _maxMessageBytes);
    }

    /// <summary>Returns the response to <paramref name="message"/>; with <paramref name="busy"/> a valid envelope is answered E3002 without running.</summary>
    public async Task<byte[]> HandleAsync(ReadOnlyMemory<byte> message, WebChannelClient client, bool busy = false)
    {
        JsonDocument document;
        try
        {
            document = ClientJson.Parse(message, s_parse);
        }
        catch (JsonException)
        {
            return Response(null, WebChannelOutcome.Failure(WebChannelErrorMapper.InvalidField("$", "The message is not valid JSON.")));
        }

        using (document)
        {
            if (WebChannelRequestReader.Read(document.RootElement, out string? requestId, out WebChannelError? invalid) is not { } request)
            {
                return Response(requestId, WebChannelOutcome.Failure(invalid!));
            }

            if (busy)
            {
                return Response(request.RequestId, WebChannelOutcome.Failure(WebChannelErrorCodes.Busy, "Too many requests in flight on this connection.", WebChannelErrorMapper.OriginalCode(GatewayErrorCodes.TooManyCalls)));
            }

            try
            {
                byte[]? response = await _requestIds.RunAsync(client.User, request.RequestId, Fingerprint(request), async () =>
                {
                    WebChannelOutcome outcome;
                    try
                    {
                        outcome = await DispatchAsync(request.Action, request.PluginId, request.PageId, request.Data, request.RequestId, client, nested: false).ConfigureAwait(false);
                        return (Response(request.RequestId, outcome), outcome.Keep);
                    }
                    catch (Exception ex) when (ex is not (OperationCanceledException or OutOfMemoryException))
                    {
                        // Whatever failed inside the gateway, the client still gets an envelope for its requestId.
                        GatewayLog.CallFailed(_logger, request.PluginId ?? string.Empty, request.Action, ex);
                        return (Response(request.RequestId, WebChannelOutcome.Failure(WebChannelErrorCodes.Unknown, "Internal error.", WebChannelErrorMapper.OriginalCode(GatewayErrorCodes.Internal))), false);
                    }
                }, client.Closed).ConfigureAwait(false);

                // The id is remembered for another request: answering that one's response would hand a client someone else's answer.
                return response ?? Response(request.RequestId, WebChannelOutcome.Failure(WebChannelErrorMapper.InvalidField("requestId", "requestId reused with another request: this id was used within the window for another action, plugin, page or data.")));
            }
            catch (OperationCanceledException)
            {
                return Response(request.RequestId, WebChannelOutcome.Failure(WebChannelErrorCodes.ShuttingDown, "Request cancelled: the connection is closing.", WebChannelErrorMapper.OriginalCode(ErrorCodes.Cancelled)));
            }
        }
    }

    // What makes a repeat the same request: its action, plugin, page and data (the bytes as sent), hashed.
    private static string Fingerprint(WebChannelRequest request)
    {
        using var hash = System.Security.Cryptography.IncrementalHash.CreateHash(System.Security.Cryptography.HashAlgorithmName.SHA256);
        Span<byte> separator = [0];
        foreach (string? part in (ReadOnlySpan<string?>)[request.Action, request.PluginId, request.PageId])
        {
            hash.AppendData(Encoding.UTF8.GetBytes(part ?? "\u0001null"));
            hash.AppendData(separator);
        }

        if (request.Data.ValueKind != JsonValueKind.Undefined)
        {
            hash.AppendData(System.Runtime.InteropServices.JsonMarshal.GetRawUtf8Value(request.Data));
        }

        return Convert.ToHexString(hash.GetHashAndReset());
    }

    /// <summary>Returns the response to a request refused before its envelope was read (authentication, size, content type).</summary>
    public byte[] Refusal(string code, string message, string ourCode) =>
        Response(null, WebChannelOutcome.Failure(code, message, WebChannelErrorMapper.OriginalCode(ourCode)));

    private byte[] Response(string? requestId, WebChannelOutcome outcome) =>
        WebChannelWriter.Response(requestId, outcome, _time.GetUtcNow().ToUnixTimeMilliseconds());

    private Task<WebChannelOutcome> DispatchAsync(string action, string? pluginId, string? pageId, JsonElement data, string requestId, WebChannelClient client, bool nested)
    {
        if (WebChannelLifecycleCommands.IsLifecycle(action))
        {
            return Task.FromResult(WebChannelOutcome.Failure(WebChannelErrorCodes.Unauthorized, $"'{action}' is a message the gateway sends plugins; clients may not send it.", WebChannelErrorMapper.OriginalCode(GatewayErrorCodes.NotExposed)));
        }

        return action switch
        {
            WebChannelActions.Batch when !nested => BatchAsync(pluginId, pageId, data, requestId, client),
            WebChannelActions.GetConfig => ConfigAsync(set: false, pluginId, data, client.Closed),
            WebChannelActions.SetConfig => ConfigAsync(set: true, pluginId, data, client.Closed),
            WebChannelActions.PageReady => PageAsync(action, WebChannelLifecycleCommands.OnPageReady, pluginId, pageId, data, client),
            WebChannelActions.DataChanged => PageAsync(action, WebChannelLifecycleCommands.OnDataChanged, pluginId, pageId, data, client),
            WebChannelActions.PageDestroy => PageAsync(action, WebChannelLifecycleCommands.OnBeforeDestroy, pluginId, pageId, data, client),
            _ when pluginId is null => EventAsync(action, data, client),
            _ => CallAsync(action, pluginId, pageId, data, requestId, client),
        };
    }

    private async Task<WebChannelOutcome> CallAsync(string action, string pluginId, string? pageId, JsonElement data, string requestId, WebChannelClient client)
    {
        if (!_exposure.Exposes(pluginId))
        {
            return PluginNotFound(pluginId);
        }

        Dictionary<string, string> headers = new(2, StringComparer.Ordinal) { [RequestIdHeader] = requestId };
        if (pageId is not null)
        {
            headers[PageIdHeader] = pageId;
        }

        var options = new GatewayCallOptions
        {
            OneValue = true,
            Headers = headers,
            Reached = (plugin, cancellationToken) => ReachedAsync(pluginId, plugin, pageId, client, cancellationToken),
        };
        GatewayCallResult result = await _caller.CallAsync(pluginId, action, data, options, client.Closed).ConfigureAwait(false);
        return result.Error is { } error ? WebChannelOutcome.Failure(WebChannelErrorMapper.From(error)) : WebChannelOutcome.Success(result.Json!);
    }

    // onInit for a new plugin process, then onPageReady for a page of this connection the process was not told of, both before the call.
    private ValueTask<GatewayError?> ReachedAsync(string pluginId, Plugin plugin, string? pageId, WebChannelClient client, CancellationToken cancellationToken) =>
        client.Pages is { } pages && pageId is not null
            ? _lifecycle.PageReadyAsync(pluginId, plugin, pages, pageId, again: false, client.Closed, cancellationToken)
            : _lifecycle.EnsureInitAsync(pluginId, plugin, cancellationToken);

    private static WebChannelOutcome Invalid(string field, string message) =>
        WebChannelOutcome.Failure(WebChannelErrorMapper.InvalidField(field, message));

    private static WebChannelOutcome PluginNotFound(string pluginId) =>
        WebChannelOutcome.Failure(WebChannelErrorCodes.PluginNotFound, $"Plugin '{pluginId}' not found.", WebChannelErrorMapper.OriginalCode(GatewayErrorCodes.UnknownPlugin));
}
