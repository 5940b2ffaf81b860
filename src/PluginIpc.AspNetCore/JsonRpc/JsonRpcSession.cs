using System.Buffers;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using PluginIpc.AspNetCore.Calls;
using PluginIpc.AspNetCore.Dashboard;
using PluginIpc.AspNetCore.Diagnostics;
using PluginIpc.AspNetCore.Security;
using PluginIpc.AspNetCore.Transport;

namespace PluginIpc.AspNetCore.JsonRpc;

/// <summary>
/// The JSON-RPC 2.0 dialect for one WebSocket connection or one HTTP request: requests, notifications, batches,
/// <c>$/cancelRequest</c> and (WebSocket only) <c>$/subscribe</c> push.
/// </summary>
internal sealed class JsonRpcSession : IWebSocketSession
{
    /// <summary>How many topics one connection may subscribe to.</summary>
    public const int MaxSubscriptions = 32;

    private static readonly JsonDocumentOptions s_parse = new() { MaxDepth = 64 };

    private readonly GatewayCaller _caller;
    private readonly int _maxInFlight;
    private readonly int _maxMessageBytes;
    private readonly bool _exposeLogs;
    private readonly TopicAllowList _topics;
    private readonly IPluginBus? _bus;
    private readonly GatewayWebSocketConnection? _connection;
    private readonly CancellationToken _closed;
    private readonly ILogger _logger;
    private readonly Dictionary<string, CancellationTokenSource> _calls = new(StringComparer.Ordinal);

    // Sources of finished calls, reset, for the next ones (guarded by _calls): a call's source is not linked to _closed (the
    // connection's close cancels the calls in _calls instead), so it costs no allocation and no registration per call.
    private readonly Stack<CancellationTokenSource> _spareSources = new();
    private readonly CancellationTokenRegistration _onClosed;
    private readonly Dictionary<string, IAsyncDisposable> _subscriptions = new(StringComparer.Ordinal);
    private readonly SemaphoreSlim _subscribing = new(1, 1);
    private readonly List<Task> _running = [];
    private int _inFlight;
    private bool _disposed;

    /// <summary>Creates the session of one WebSocket connection (<paramref name="connection"/>) or, without one, of one HTTP request.</summary>
    public JsonRpcSession(GatewayCaller caller, PluginGatewayOptions options, TopicAllowList topics, IPluginBus? bus, GatewayWebSocketConnection? connection, ILogger logger, CancellationToken closed)
    {
        _caller = caller;
        _maxInFlight = options.MaxCallsInFlightPerConnection;
        _maxMessageBytes = options.MaxMessageBytes;
        _exposeLogs = options.ExposeLogs;
        _topics = topics;
        _bus = bus;
        _connection = connection;
        _closed = closed;
        _logger = logger;
        if (connection is not null)
        {
            _onClosed = closed.UnsafeRegister(static state => ((JsonRpcSession)state!).CancelCalls(), this);
        }
    }

    public bool IsBusy
    {
        get
        {
            lock (_subscriptions)
            {
                return Volatile.Read(ref _inFlight) > 0 || _subscriptions.Count > 0;
            }
        }
    }

    public ValueTask OnMessageAsync(ReadOnlyMemory<byte> message)
    {
        // The receive buffer is reused: the document needs its own copy (pooled, given back once answered). The work runs on;
        // responses go out as they complete.
        byte[] copy = ArrayPool<byte>.Shared.Rent(message.Length);
        message.CopyTo(copy);
        Task running = RespondAsync(copy, message.Length);
        if (!running.IsCompleted)
        {
            lock (_running)
            {
                _running.RemoveAll(static task => task.IsCompleted);
                _running.Add(running);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Handles one message: returns the response (an object or a batch array), or <see langword="null"/> when there is none.</summary>
    public Task<byte[]?> HandleAsync(ReadOnlyMemory<byte> message)
    {
        JsonDocument document;
        try
        {
            document = ClientJson.Parse(message, s_parse);
        }
        catch (JsonException)
        {
            return Task.FromResult<byte[]?>(JsonRpcWriter.Error(default, JsonRpcErrorCodes.ParseError, "Parse error: the message is not valid JSON.", GatewayErrorCodes.ParseError));
        }

        // A single request (the common case) disposes the document itself: no async layer of its own here.
        return document.RootElement.ValueKind == JsonValueKind.Array ? HandleBatchAsync(document) : HandleOneAsync(document.RootElement, document);
    }

    public async ValueTask DisposeAsync()
    {
        // The messages still running end with the connection's token; they are awaited so none outlives the session.
        Task[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        await Task.WhenAll(running).ConfigureAwait(false);
        await _onClosed.DisposeAsync().ConfigureAwait(false);
        lock (_calls)
        {
            while (_spareSources.TryPop(out CancellationTokenSource? spare))
            {
                spare.Dispose();
            }
        }

        List<IAsyncDisposable> subscriptions;
        lock (_subscriptions)
        {
            _disposed = true;
            subscriptions = [.. _subscriptions.Values];
            _subscriptions.Clear();
        }

        foreach (IAsyncDisposable subscription in subscriptions)
        {
            await subscription.DisposeAsync().ConfigureAwait(false);
        }
    }

    private async Task<byte[]?> HandleBatchAsync(JsonDocument document)
    {
        using (document)
        {
            JsonElement root = document.RootElement;
            int count = root.GetArrayLength();
            if (count == 0)
            {
                return JsonRpcWriter.Error(default, JsonRpcErrorCodes.InvalidRequest, "Invalid Request: an empty batch.", ErrorCodes.InvalidRequest);
            }

            if (count > _maxInFlight)
            {
                return JsonRpcWriter.Error(default, JsonRpcErrorCodes.TooMany, $"A batch may hold at most {_maxInFlight} requests; this one holds {count}.", GatewayErrorCodes.TooManyCalls);
            }

            // The batch holds a slot per item until its response goes out: a finished item's answer waits in memory for the
            // slowest one, so it counts against the connection's limit as long as it does.
            if (Interlocked.Add(ref _inFlight, count) > _maxInFlight)
            {
                Interlocked.Add(ref _inFlight, -count);
                return RefuseBatch(root);
            }

            try
            {
                var items = new Task<byte[]?>[count];
                int i = 0;
                foreach (JsonElement item in root.EnumerateArray())
                {
                    items[i++] = HandleOneAsync(item, null);
                }

                byte[]?[] responses = await Task.WhenAll(items).ConfigureAwait(false);
                List<byte[]> answered = [.. responses.OfType<byte[]>()];
                return answered.Count == 0 ? null : JsonRpcWriter.Batch(answered, _maxMessageBytes);
            }
            finally
            {
                Interlocked.Add(ref _inFlight, -count);
            }
        }
    }

    /// <summary>Answers each request of a batch the free in-flight slots cannot take -32004 under its own id, so the client settles every one.</summary>
    private byte[]? RefuseBatch(JsonElement batch)
    {
        List<byte[]> refused = [];
        foreach (JsonElement item in batch.EnumerateArray())
        {
            if (TryGetValidId(item, out JsonElement id))
            {
                refused.Add(TooManyInFlight(id));
            }
        }

        return refused.Count == 0 ? null : JsonRpcWriter.Batch(refused, _maxMessageBytes);
    }

    private async Task RespondAsync(byte[] message, int length)
    {
        byte[]? response;
        try
        {
            response = await HandleAsync(message.AsMemory(0, length)).ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            // Each request already answers its own failures (HandleOneAsync); this is the last guard: never an unobserved task.
            GatewayLog.RequestFailed(_logger, ex);
            response = JsonRpcWriter.Error(default, JsonRpcErrorCodes.InternalError, "Internal error: the gateway failed to handle the message.", GatewayErrorCodes.Internal);
        }
        finally
        {
            // The document made of it was disposed when HandleAsync ended.
            ArrayPool<byte>.Shared.Return(message);
        }

        if (response is not null)
        {
            _connection!.TrySend(response);
        }
    }

    /// <summary>Handles one request of a message; whatever fails inside, a request with an id gets an answer.</summary>
    /// <param name="request">The request.</param>
    /// <param name="owner">
    /// The document of a single request's message, disposed here once it is answered; null in a batch, which holds the
    /// request's in-flight slot itself.
    /// </param>
    /// <remarks>One async method, guard included: each async layer that waits costs an allocation and a continuation per call.</remarks>
    private async Task<byte[]?> HandleOneAsync(JsonElement request, JsonDocument? owner)
    {
        try
        {
            if (request.ValueKind != JsonValueKind.Object)
            {
                return InvalidRequest(default, "a request must be an object.");
            }

            bool hasId = request.TryGetProperty("id"u8, out JsonElement id);
            if (hasId && id.ValueKind is not (JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null))
            {
                return InvalidRequest(default, "id must be a string, a number or null.");
            }

            if (!request.TryGetProperty("jsonrpc"u8, out JsonElement version) || version.ValueKind != JsonValueKind.String || !version.ValueEquals("2.0"u8))
            {
                return InvalidRequest(id, "jsonrpc must be \"2.0\".");
            }

            if (!request.TryGetProperty("method"u8, out JsonElement methodElement) || methodElement.ValueKind != JsonValueKind.String)
            {
                return InvalidRequest(id, "method must be a string.");
            }

            request.TryGetProperty("params"u8, out JsonElement parameters);
            if (parameters.ValueKind is not (JsonValueKind.Undefined or JsonValueKind.Array or JsonValueKind.Object))
            {
                return InvalidRequest(id, "params must be an array or an object.");
            }

            string method = methodElement.GetString()!;
            bool heldByBatch = owner is null; // a batch holds its items' in-flight slots
            if (method.StartsWith("$/", StringComparison.Ordinal))
            {
                return await HandleSystemAsync(method, hasId, id, parameters, heldByBatch).ConfigureAwait(false);
            }

            int slash = method.IndexOf('/', StringComparison.Ordinal);
            if (method.StartsWith("rpc.", StringComparison.Ordinal) || slash <= 0 || slash == method.Length - 1)
            {
                return hasId ? JsonRpcWriter.Error(id, JsonRpcErrorCodes.MethodNotFound, $"Method '{method}' not found: methods are '<plugin>/<cmd>'.", GatewayErrorCodes.NotExposed) : null;
            }

            if (!heldByBatch && !TryEnter())
            {
                return hasId ? TooManyInFlight(id) : null;
            }

            string? key = null;
            CancellationTokenSource? cancellation = null;
            try
            {
                if (hasId && _connection is not null)
                {
                    key = JsonRpcIdKey.Of(id)!; // checked above: a string, a number or null
                    lock (_calls)
                    {
                        if (_calls.ContainsKey(key))
                        {
                            key = null;
                            return InvalidRequest(id, "a request with this id is already in flight on this connection.");
                        }

                        cancellation = _spareSources.TryPop(out CancellationTokenSource? spare) ? spare : new CancellationTokenSource();
                        _calls.Add(key, cancellation);
                    }

                    // Closed before it was listed: CancelCalls did not see it.
                    if (_closed.IsCancellationRequested)
                    {
                        cancellation.Cancel();
                    }
                }

                GatewayCallResult result = await _caller.CallAsync(method[..slash], method[(slash + 1)..], method, parameters, cancellation?.Token ?? _closed).ConfigureAwait(false);
                if (!hasId)
                {
                    return null;
                }

                if (result.Error is { } error)
                {
                    return JsonRpcWriter.Error(id, error);
                }

                try
                {
                    return JsonRpcWriter.Result(id, result.Json!);
                }
                catch (Exception ex) when (ex is ArgumentException or JsonException or InvalidOperationException)
                {
                    GatewayLog.AnswerNotMapped(_logger, method[..slash], method[(slash + 1)..], ex.Message);
                    return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InternalError, "Internal error: the answer is not valid JSON.", GatewayErrorCodes.Internal);
                }
            }
            finally
            {
                if (key is not null)
                {
                    bool spared;
                    lock (_calls)
                    {
                        _calls.Remove(key);
                        spared = _spareSources.Count < _maxInFlight && cancellation!.TryReset();
                        if (spared)
                        {
                            _spareSources.Push(cancellation!);
                        }
                    }

                    if (!spared)
                    {
                        cancellation!.Dispose();
                    }
                }

                if (!heldByBatch)
                {
                    Interlocked.Decrement(ref _inFlight);
                }
            }
        }
        catch (Exception ex)
        {
            GatewayLog.RequestFailed(_logger, ex);
            return TryGetValidId(request, out JsonElement id)
                ? JsonRpcWriter.Error(id, JsonRpcErrorCodes.InternalError, "Internal error: the gateway failed to handle the request.", GatewayErrorCodes.Internal)
                : null;
        }
        finally
        {
            owner?.Dispose();
        }
    }

    private async Task<byte[]?> HandleSystemAsync(string method, bool hasId, JsonElement id, JsonElement parameters, bool heldByBatch)
    {
        if (method == "$/logs")
        {
            return !hasId ? null // a notification asks nothing back: nothing to do
                : _exposeLogs ? QueryLogs(id, parameters)
                : JsonRpcWriter.Error(id, JsonRpcErrorCodes.MethodNotFound, "Method '$/logs' not found: the gateway does not expose logs (PluginGatewayOptions.ExposeLogs).", GatewayErrorCodes.NotExposed);
        }

        if (_connection is null || _bus is null)
        {
            return hasId ? JsonRpcWriter.Error(id, JsonRpcErrorCodes.MethodNotFound, $"Method '{method}' is available over the WebSocket only.", GatewayErrorCodes.NotExposed) : null;
        }

        switch (method)
        {
            case "$/cancelRequest":
                if (parameters.ValueKind != JsonValueKind.Object || !parameters.TryGetProperty("id"u8, out JsonElement target))
                {
                    return hasId ? JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, "$/cancelRequest takes {\"id\": <the request's id>}.", ErrorCodes.InvalidRequest) : null;
                }

                // A request already answered (or never seen) is ignored, as LSP does. Cancelled under the lock: a finished call's
                // source goes back to the spares (under the lock), and must not be cancelled once another call holds it.
                lock (_calls)
                {
                    if (JsonRpcIdKey.Of(target) is { } targetKey && _calls.TryGetValue(targetKey, out CancellationTokenSource? call))
                    {
                        call.Cancel();
                    }
                }

                return hasId ? JsonRpcWriter.Result(id, "null"u8.ToArray()) : null;
            case "$/subscribe":
            case "$/unsubscribe":
                // They wait (one at a time, and on the bus) holding their message: counted as calls, so waiting ones are bounded.
                if (!heldByBatch && !TryEnter())
                {
                    return hasId ? TooManyInFlight(id) : null;
                }

                try
                {
                    byte[]? answer = await SubscriptionAsync(method == "$/subscribe", id, parameters).ConfigureAwait(false);
                    return hasId ? answer : null;
                }
                finally
                {
                    if (!heldByBatch)
                    {
                        Interlocked.Decrement(ref _inFlight);
                    }
                }

            default:
                return hasId ? JsonRpcWriter.Error(id, JsonRpcErrorCodes.MethodNotFound, $"Method '{method}' not found.", GatewayErrorCodes.NotExposed) : null;
        }
    }

    /// <summary>Answers <c>$/logs</c>: the query <c>{plugin, level, contains, since, max}</c> over the exposed plugins, newest first.</summary>
    private byte[] QueryLogs(JsonElement id, JsonElement parameters)
    {
        PluginLogQuery query;
        try
        {
            query = LogQueryReader.Read(parameters);
        }
        catch (LogQueryException ex)
        {
            return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, "$/logs: " + ex.Message, ErrorCodes.InvalidRequest);
        }

        return _caller.QueryLogs(query) is { } entries
            ? JsonRpcWriter.Result(id, DashboardJson.Entries(entries, Math.Min(DashboardJson.MaxLogBytes, _maxMessageBytes / 2)))
            : JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, $"$/logs: no plugin '{query.Plugin}' is exposed.", ErrorCodes.InvalidRequest);
    }

    private async Task<byte[]> SubscriptionAsync(bool subscribe, JsonElement id, JsonElement parameters)
    {
        if (parameters.ValueKind != JsonValueKind.Object || !parameters.TryGetProperty("topic"u8, out JsonElement topicElement) || topicElement.ValueKind != JsonValueKind.String)
        {
            return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, "$/subscribe and $/unsubscribe take {\"topic\": \"...\"}.", ErrorCodes.InvalidRequest);
        }

        string topic = topicElement.GetString()!;
        try
        {
            await _subscribing.WaitAsync(_closed).ConfigureAwait(false);
        }
        catch (OperationCanceledException)
        {
            return JsonRpcWriter.Error(id, JsonRpcErrorCodes.RequestCancelled, "Request cancelled: the connection is closing.", ErrorCodes.Cancelled);
        }

        try
        {
            IAsyncDisposable? existing;
            lock (_subscriptions)
            {
                _subscriptions.TryGetValue(topic, out existing);
            }

            if (!subscribe)
            {
                if (existing is not null)
                {
                    lock (_subscriptions)
                    {
                        _subscriptions.Remove(topic);
                    }

                    await existing.DisposeAsync().ConfigureAwait(false);
                }

                return JsonRpcWriter.Result(id, existing is null ? "false"u8.ToArray() : "true"u8.ToArray());
            }

            if (!_topics.Allows(topic))
            {
                return JsonRpcWriter.Error(id, JsonRpcErrorCodes.Forbidden, $"Topic '{topic}' is not allowed.", ErrorCodes.Forbidden);
            }

            if (existing is not null)
            {
                return JsonRpcWriter.Result(id, "true"u8.ToArray());
            }

            lock (_subscriptions)
            {
                if (_subscriptions.Count >= MaxSubscriptions)
                {
                    return JsonRpcWriter.Error(id, JsonRpcErrorCodes.TooMany, $"A connection may subscribe to at most {MaxSubscriptions} topics.", GatewayErrorCodes.TooManySubscriptions);
                }
            }

            IAsyncDisposable subscription;
            try
            {
                GatewayWebSocketConnection connection = _connection!;
                int maxBytes = _maxMessageBytes;
                long oversized = 0; // pushes over MaxMessageBytes (a subscription's messages come one at a time)
                subscription = await _bus!.SubscribeAsync(topic, (message, _) =>
                {
                    // One over the limit is not sent (nor could it fit a client's send queue): it shows as missed on the next.
                    byte[]? push = message.Payload.Length > maxBytes ? null : JsonRpcWriter.Message(message, alsoMissed: oversized);
                    if (push is null || push.Length > maxBytes)
                    {
                        oversized++;
                    }
                    else
                    {
                        oversized = 0;
                        connection.TrySend(push);
                    }

                    return ValueTask.CompletedTask;
                }, _closed).ConfigureAwait(false);
            }
            catch (ArgumentException ex)
            {
                return JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidParams, $"'{topic}' is not a topic: {ex.Message}", ErrorCodes.InvalidRequest);
            }

            bool keep;
            lock (_subscriptions)
            {
                keep = !_disposed && _subscriptions.TryAdd(topic, subscription);
            }

            if (!keep)
            {
                await subscription.DisposeAsync().ConfigureAwait(false);
            }

            return JsonRpcWriter.Result(id, "true"u8.ToArray());
        }
        catch (OperationCanceledException)
        {
            return JsonRpcWriter.Error(id, JsonRpcErrorCodes.RequestCancelled, "Request cancelled: the connection is closing.", ErrorCodes.Cancelled);
        }
        finally
        {
            _subscribing.Release();
        }
    }

    /// <summary>The connection is closing: every call in flight is cancelled (their sources are not linked to it).</summary>
    private void CancelCalls()
    {
        lock (_calls)
        {
            foreach (CancellationTokenSource call in _calls.Values)
            {
                call.Cancel();
            }
        }
    }

    /// <summary>Gets the id of a request that can be answered under it: an object whose id is a string, a number or null.</summary>
    private static bool TryGetValidId(JsonElement request, out JsonElement id)
    {
        id = default;
        return request.ValueKind == JsonValueKind.Object && request.TryGetProperty("id"u8, out id)
            && id.ValueKind is JsonValueKind.String or JsonValueKind.Number or JsonValueKind.Null;
    }

    private bool TryEnter()
    {
        if (Interlocked.Increment(ref _inFlight) <= _maxInFlight)
        {
            return true;
        }

        Interlocked.Decrement(ref _inFlight);
        return false;
    }

    private byte[] TooManyInFlight(JsonElement id) =>
        JsonRpcWriter.Error(id, JsonRpcErrorCodes.TooMany, $"Too many calls in flight on this connection (at most {_maxInFlight}).", GatewayErrorCodes.TooManyCalls);

    private static byte[] InvalidRequest(JsonElement id, string reason) =>
        JsonRpcWriter.Error(id, JsonRpcErrorCodes.InvalidRequest, "Invalid Request: " + reason, ErrorCodes.InvalidRequest);
}
