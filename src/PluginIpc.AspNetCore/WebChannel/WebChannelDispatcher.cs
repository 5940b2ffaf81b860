using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PluginIpc.AspNetCore.Calls;
using PluginIpc.AspNetCore.Diagnostics;
using PluginIpc.AspNetCore.Security;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>
/// The WebChannel envelope dialect, for any transport: validates an envelope, runs its action (a plugin call, an event, a
/// batch, configuration or a page's lifecycle) once per requestId within the window, and writes the response.
/// </summary>
internal sealed class WebChannelDispatcher
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
            document = JsonDocument.Parse(message, s_parse);
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

    // onInit for a new plugin process, then onPageReady for a page new on this connection, both before the call.
    private async ValueTask<GatewayError?> ReachedAsync(string pluginId, Plugin plugin, string? pageId, WebChannelClient client, CancellationToken cancellationToken)
    {
        if (client.Pages is { } pages && pageId is not null && pages.Add(pluginId, pageId))
        {
            return await _lifecycle.NotifyAsync(pluginId, plugin, WebChannelLifecycleCommands.OnPageReady, pageId, null, default, cancellationToken).ConfigureAwait(false);
        }

        return await _lifecycle.EnsureInitAsync(pluginId, plugin, cancellationToken).ConfigureAwait(false);
    }

    private async Task<WebChannelOutcome> PageAsync(string action, string cmd, string? pluginId, string? pageId, JsonElement data, WebChannelClient client)
    {
        if (pluginId is null)
        {
            return Invalid("pluginId", "pluginId is required for this action.");
        }

        if (pageId is null)
        {
            return Invalid("pageId", "pageId is required for this action.");
        }

        string? changeType = null;
        JsonElement changed = default;
        if (cmd == WebChannelLifecycleCommands.OnDataChanged)
        {
            if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("changeType"u8, out JsonElement type) || type.ValueKind != JsonValueKind.String)
            {
                return Invalid("data.changeType", "data_changed takes data {changeType: string, data?: any}.");
            }

            changeType = type.GetString();
            data.TryGetProperty("data"u8, out changed);
        }

        if (!_exposure.Exposes(pluginId))
        {
            return PluginNotFound(pluginId);
        }

        if (!_exposure.Allows(pluginId, action))
        {
            // A plugin exposed for some commands only hears of pages if the page actions are among them.
            return WebChannelOutcome.Failure(WebChannelErrorCodes.Unauthorized, $"'{action}' is not allowed for plugin '{pluginId}'.", WebChannelErrorMapper.OriginalCode(GatewayErrorCodes.NotExposed));
        }

        (Plugin? plugin, GatewayError? refused) = await _caller.ResolveAsync(pluginId, null, client.Closed).ConfigureAwait(false);
        if (plugin is null)
        {
            return WebChannelOutcome.Failure(WebChannelErrorMapper.From(refused!));
        }

        if (cmd == WebChannelLifecycleCommands.OnPageReady)
        {
            client.Pages?.Add(pluginId, pageId);
        }
        else if (cmd == WebChannelLifecycleCommands.OnBeforeDestroy)
        {
            client.Pages?.Remove(pluginId, pageId);
        }

        GatewayError? failed = await _lifecycle.NotifyAsync(pluginId, plugin, cmd, pageId, changeType, changed, client.Closed).ConfigureAwait(false);
        return failed is null ? WebChannelOutcome.Success(s_null) : WebChannelOutcome.Failure(WebChannelErrorMapper.From(failed));
    }

    private async Task<WebChannelOutcome> EventAsync(string action, JsonElement data, WebChannelClient client)
    {
        // Every target's message is made before any is sent: data one plugin's format cannot carry fails the event for all,
        // never after it reached some (a retry would deliver it twice).
        var targets = new List<(string Name, Plugin Plugin, Chunk Message)>();
        foreach (string name in _exposure.Plugins)
        {
            if (!_exposure.Allows(name, action) || !_manager.Names.Contains(name) || _manager.GetState(name) != PluginState.Running)
            {
                continue; // events never start a plugin
            }

            (Plugin? plugin, _) = await _caller.ResolveAsync(name, action, client.Closed).ConfigureAwait(false);
            if (plugin is null || !Declares(plugin, action))
            {
                continue;
            }

            ReadOnlyMemory<byte> buffer;
            try
            {
                buffer = PayloadMapper.OneValue(data, PayloadMapper.FormatOf(plugin));
            }
            catch (Exception ex) when (ex is GatewayMappingException or MessagePack.MessagePackSerializationException or FormatException or OverflowException)
            {
                return Invalid("data", $"The data of event '{action}' cannot be converted to the format of plugin '{name}'; it was sent to no plugin.");
            }

            targets.Add((name, plugin, new Chunk { Direction = Direction.OneWay, Cmd = action, Buffer = buffer }));
        }

        var delivered = new List<string>(targets.Count);
        foreach ((string name, Plugin plugin, Chunk message) in targets)
        {
            if (await _lifecycle.NotifyRawAsync(name, plugin, message, client.Closed).ConfigureAwait(false) is null)
            {
                delivered.Add(name);
            }
        }

        if (delivered.Count == 0)
        {
            return WebChannelOutcome.Failure(WebChannelErrorCodes.PluginNotFound, $"No running plugin takes event '{action}' (give a pluginId to call a plugin's command).");
        }

        using var json = new MemoryStream();
        using (var writer = new Utf8JsonWriter(json))
        {
            writer.WriteStartObject();
            writer.WriteStartArray("delivered"u8);
            foreach (string name in delivered)
            {
                writer.WriteStringValue(name);
            }

            writer.WriteEndArray();
            writer.WriteEndObject();
        }

        return WebChannelOutcome.Success(json.ToArray());
    }

    private static bool Declares(Plugin plugin, string action) =>
        plugin.Metadata.TryGetValue(WebChannelActions.EventsMetadataKey, out string? events)
        && events.Split(',', StringSplitOptions.TrimEntries | StringSplitOptions.RemoveEmptyEntries).Contains(action, StringComparer.Ordinal);

    private async Task<WebChannelOutcome> BatchAsync(string? pluginId, string? pageId, JsonElement data, string requestId, WebChannelClient client)
    {
        if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("operations"u8, out JsonElement operations) || operations.ValueKind != JsonValueKind.Array)
        {
            return Invalid("data.operations", "batch takes data {operations: [{action, pluginId?, pageId?, data?}, ...]}.");
        }

        int count = operations.GetArrayLength();
        if (count is 0 or > MaxBatchOperations)
        {
            return Invalid("data.operations", $"A batch holds 1 to {MaxBatchOperations} operations; this one holds {count}.");
        }

        // The whole response stays within MaxMessageBytes: once the results would pass it, the operation that does gets an
        // error in place of its result and the rest do not run (room for their errors is kept all along).
        long room = _maxMessageBytes - EnvelopeBytes - 2 - count;
        var items = new List<byte[]>(count);
        bool full = false;
        int index = 0;
        foreach (JsonElement operation in operations.EnumerateArray())
        {
            if (full)
            {
                items.Add(_notRun);
                index++;
                continue;
            }

            byte[] item = WebChannelWriter.Item(await OperationAsync(operation, index, pluginId, pageId, requestId, client).ConfigureAwait(false));
            int after = count - ++index;
            if (item.Length + ((long)after * Math.Max(_dropped.Length, _notRun.Length)) > room)
            {
                (item, full) = (_dropped, true);
            }

            room -= item.Length;
            items.Add(item);
        }

        return WebChannelOutcome.Success(WebChannelWriter.Results(items));
    }

    private static byte[] BatchTooLarge(bool ran, int limit)
    {
        string message = ran
            ? $"This operation ran, but its result does not fit in the batch's response (at most {limit} bytes): run it alone."
            : $"Not run: the batch's response reached its size limit ({limit} bytes) before this operation.";
        using JsonDocument ranDetails = JsonDocument.Parse(ran ? "{\"ran\":true}" : "{\"ran\":false}");
        return WebChannelWriter.Item(WebChannelOutcome.Failure(WebChannelErrorCodes.PluginExecutionError, message, WebChannelErrorMapper.OriginalCode(ErrorCodes.PayloadTooLarge, ranDetails.RootElement)));
    }

    // One operation of a batch: the envelope's pluginId and pageId unless it names its own; a failure is its result alone.
    private Task<WebChannelOutcome> OperationAsync(JsonElement operation, int index, string? pluginId, string? pageId, string requestId, WebChannelClient client)
    {
        if (client.Closed.IsCancellationRequested)
        {
            return Task.FromResult(WebChannelOutcome.Failure(WebChannelErrorCodes.ShuttingDown, "Request cancelled: the connection is closing.", WebChannelErrorMapper.OriginalCode(ErrorCodes.Cancelled)));
        }

        WebChannelError? error = null;
        string field = $"data.operations[{index}]";
        if (operation.ValueKind != JsonValueKind.Object)
        {
            return Task.FromResult(Invalid(field, "An operation must be an object {action, pluginId?, pageId?, data?}."));
        }

        if (!WebChannelRequestReader.TryString(operation, "action", required: true, out string? action, ref error)
            || (operation.TryGetProperty("pluginId"u8, out _) && !WebChannelRequestReader.TryString(operation, "pluginId", required: false, out pluginId, ref error))
            || (operation.TryGetProperty("pageId"u8, out _) && !WebChannelRequestReader.TryString(operation, "pageId", required: false, out pageId, ref error)))
        {
            return Task.FromResult(WebChannelOutcome.Failure(error! with { Message = $"{field}: {error!.Message}" }));
        }

        operation.TryGetProperty("data"u8, out JsonElement data);
        return DispatchAsync(action!, pluginId, pageId, data.ValueKind == JsonValueKind.Null ? default : data, requestId + "#" + index.ToString(System.Globalization.CultureInfo.InvariantCulture), client, nested: true);
    }

    private async Task<WebChannelOutcome> ConfigAsync(bool set, string? pluginId, JsonElement data, CancellationToken cancellationToken)
    {
        string action = set ? WebChannelActions.SetConfig : WebChannelActions.GetConfig;
        if (pluginId is null)
        {
            return Invalid("pluginId", $"{action} needs the pluginId whose configuration it reads or writes.");
        }

        if (!_exposure.Exposes(pluginId) || !_manager.Names.Contains(pluginId))
        {
            return PluginNotFound(pluginId);
        }

        if (!_exposure.Allows(pluginId, action))
        {
            return WebChannelOutcome.Failure(WebChannelErrorCodes.Unauthorized, $"'{action}' is not allowed for plugin '{pluginId}'.", WebChannelErrorMapper.OriginalCode(GatewayErrorCodes.NotExposed));
        }

        if (data.ValueKind != JsonValueKind.Object || !data.TryGetProperty("scope"u8, out JsonElement scopeElement) || scopeElement.ValueKind != JsonValueKind.String
            || !TryScope(scopeElement.GetString()!, out PluginConfigScope scope))
        {
            return Invalid("data.scope", $"{action} takes data {{scope: \"plugin\" | \"user\" | \"system\", key{(set ? string.Empty : "?")}{(set ? ", value" : string.Empty)}}}.");
        }

        string? key = null;
        if (data.TryGetProperty("key"u8, out JsonElement keyElement) && keyElement.ValueKind != JsonValueKind.Null)
        {
            if (keyElement.ValueKind != JsonValueKind.String || keyElement.GetString() is not { Length: > 0 and <= PluginConfigOptions.MaxKeyLength } text)
            {
                return Invalid("data.key", $"key must be a non-empty string of at most {PluginConfigOptions.MaxKeyLength} characters.");
            }

            key = text;
        }

        try
        {
            if (!set)
            {
                JsonElement? value = key is null
                    ? await _config.GetAsync(pluginId, scope, cancellationToken).ConfigureAwait(false)
                    : await _config.GetAsync(pluginId, scope, key, cancellationToken).ConfigureAwait(false);
                return WebChannelOutcome.Success(value is { } found ? Encoding.UTF8.GetBytes(found.GetRawText()) : s_null);
            }

            if (key is null)
            {
                return Invalid("data.key", "set_config needs the key it sets.");
            }

            if (!data.TryGetProperty("value"u8, out JsonElement newValue))
            {
                return Invalid("data.value", "set_config needs the value it sets (null included).");
            }

            if (scope == PluginConfigScope.System && !_allowSystemConfigWrites)
            {
                return WebChannelOutcome.Failure(WebChannelErrorCodes.Unauthorized, "The system scope is read-only for clients (PluginGatewayOptions.AllowSystemConfigWrites).", WebChannelErrorMapper.OriginalCode(ErrorCodes.Forbidden));
            }

            await _config.SetAsync(pluginId, scope, key, newValue, cancellationToken).ConfigureAwait(false);
            return WebChannelOutcome.Success(Encoding.UTF8.GetBytes(newValue.GetRawText()));
        }
        catch (OperationCanceledException)
        {
            return WebChannelOutcome.Failure(WebChannelErrorCodes.ShuttingDown, "Request cancelled: the connection is closing.", WebChannelErrorMapper.OriginalCode(ErrorCodes.Cancelled));
        }
        catch (ArgumentException ex)
        {
            return WebChannelOutcome.Failure(WebChannelErrorCodes.InvalidRequest, ex.Message, WebChannelErrorMapper.OriginalCode(ErrorCodes.InvalidRequest));
        }
        catch (PluginConfigTooLargeException)
        {
            // The store's message names the file's path on the host: clients get a fixed one.
            return WebChannelOutcome.Failure(WebChannelErrorCodes.InvalidRequest, $"The change would make the {ConfigNames(scope)} configuration of plugin '{pluginId}' larger than the host allows; nothing was changed.", WebChannelErrorMapper.OriginalCode(ErrorCodes.ConfigTooLarge));
        }
        catch (Exception ex) when (ex is InvalidOperationException or InvalidDataException or IOException or UnauthorizedAccessException)
        {
            // The message would name a path of the host: clients get the code only.
            return WebChannelOutcome.Failure(WebChannelErrorCodes.Unknown, $"The configuration of plugin '{pluginId}' cannot be read or written.", WebChannelErrorMapper.OriginalCode(ErrorCodes.ConfigFileInvalid));
        }
    }

    private static string ConfigNames(PluginConfigScope scope) => scope switch
    {
        PluginConfigScope.User => "user",
        PluginConfigScope.System => "system",
        _ => "plugin",
    };

    private static bool TryScope(string name, out PluginConfigScope scope)
    {
        (bool known, scope) = name switch
        {
            "plugin" => (true, PluginConfigScope.Plugin),
            "user" => (true, PluginConfigScope.User),
            "system" => (true, PluginConfigScope.System),
            _ => (false, default),
        };
        return known;
    }

    private static WebChannelOutcome Invalid(string field, string message) =>
        WebChannelOutcome.Failure(WebChannelErrorMapper.InvalidField(field, message));

    private static WebChannelOutcome PluginNotFound(string pluginId) =>
        WebChannelOutcome.Failure(WebChannelErrorCodes.PluginNotFound, $"Plugin '{pluginId}' not found.", WebChannelErrorMapper.OriginalCode(GatewayErrorCodes.UnknownPlugin));
}
