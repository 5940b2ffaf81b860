using System.Text.Json;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Options;
using PluginIpc.AspNetCore.Diagnostics;
using PluginIpc.AspNetCore.Security;
using PluginIpc.AspNetCore.WebChannel;

namespace PluginIpc.AspNetCore.Calls;

/// <summary>
/// Calls command <c>cmd</c> of plugin <c>P</c> for a gateway client: checks the allow-list, maps the JSON params to the
/// request buffer, and the answer (or failure) back to a JSON value (or a <see cref="GatewayError"/>). Dialect independent.
/// </summary>
internal sealed class GatewayCaller
{
    private readonly IPluginManager _manager;
    private readonly ExposureList _exposure;
    private readonly TimeSpan? _callTimeout;
    private readonly int _maxResultBytes;
    private readonly ILogger _logger;
    private readonly GatewayMetrics _metrics;
    private readonly GatewayCallLimiter _limiter;
    private readonly WebChannelLifecycle _lifecycle;

    public GatewayCaller(IPluginManager manager, IOptions<PluginGatewayOptions> options, ILoggerFactory loggerFactory, GatewayMetrics metrics, GatewayCallLimiter limiter, WebChannelLifecycle lifecycle)
    {
        ArgumentNullException.ThrowIfNull(manager);
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _manager = manager;
        _exposure = new ExposureList(options.Value);
        _callTimeout = options.Value.CallTimeout;
        _maxResultBytes = options.Value.MaxMessageBytes;
        _logger = loggerFactory.CreateLogger(GatewayLog.Category);
        _metrics = metrics;
        _limiter = limiter;
        _lifecycle = lifecycle;
    }

    /// <summary>Calls <paramref name="cmd"/> of <paramref name="pluginName"/> with <paramref name="parameters"/> (Undefined when absent).</summary>
    /// <returns>The result or the failure; never throws for what the client or the plugin did.</returns>
    public Task<GatewayCallResult> CallAsync(string pluginName, string cmd, JsonElement parameters, CancellationToken cancellationToken) =>
        CallAsync(pluginName, cmd, null, parameters, GatewayCallOptions.JsonRpc, cancellationToken);

    /// <summary>Calls <paramref name="cmd"/> of <paramref name="pluginName"/> (named <paramref name="method"/> in messages) with <paramref name="parameters"/> (Undefined when absent).</summary>
    /// <returns>The result or the failure; never throws for what the client or the plugin did.</returns>
    public Task<GatewayCallResult> CallAsync(string pluginName, string cmd, string method, JsonElement parameters, CancellationToken cancellationToken) =>
        CallAsync(pluginName, cmd, method, parameters, GatewayCallOptions.JsonRpc, cancellationToken);

    /// <summary>Calls <paramref name="cmd"/> of <paramref name="pluginName"/> with <paramref name="parameters"/> shaped as <paramref name="options"/> say.</summary>
    /// <returns>The result or the failure; never throws for what the client or the plugin did.</returns>
    public Task<GatewayCallResult> CallAsync(string pluginName, string cmd, JsonElement parameters, GatewayCallOptions options, CancellationToken cancellationToken) =>
        CallAsync(pluginName, cmd, null, parameters, options, cancellationToken);

    /// <summary>
    /// Returns the running plugin <paramref name="pluginName"/> (started if need be) for a call of <paramref name="cmd"/> (for
    /// <see langword="null"/>, for the gateway's own messages: the plugin need only be exposed), or the failure: not exposed,
    /// not registered, cancelled, or unavailable.
    /// </summary>
    public Task<(Plugin? Plugin, GatewayError? Error)> ResolveAsync(string pluginName, string? cmd, CancellationToken cancellationToken) =>
        ResolveCoreAsync(pluginName, cmd, cancellationToken).AsTask();

    // One async method per call (limiter, resolve, map, call, map back): each async layer that waits costs an allocation and a
    // continuation; the method's name ("P/cmd") is made only once, unless the dialect already has it.
    private async Task<GatewayCallResult> CallAsync(string pluginName, string cmd, string? method, JsonElement parameters, GatewayCallOptions options, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(options);
        if (!_limiter.TryAcquire())
        {
            // The per-connection limit does not bound HTTP (a session per request) nor many connections: this bounds them all.
            return Counted(GatewayCallResult.Failure(GatewayErrorKind.TooMany, GatewayErrorCodes.TooManyCalls, $"Too many calls running in the gateway (at most {_limiter.Limit}); try again later."));
        }

        try
        {
            method ??= pluginName + "/" + cmd;
            (Plugin? resolved, GatewayError? refused) = await ResolveCoreAsync(pluginName, cmd, cancellationToken).ConfigureAwait(false);
            if (resolved is not { } plugin)
            {
                return Counted(GatewayCallResult.Failure(refused!));
            }

            // Whatever the dialect, a plugin process hears onInit before the gateway's first call reaches it.
            GatewayError? failed = options.Reached is { } reached
                ? await reached(plugin, cancellationToken).ConfigureAwait(false)
                : await _lifecycle.EnsureInitAsync(pluginName, plugin, cancellationToken).ConfigureAwait(false);
            if (failed is not null)
            {
                return Counted(GatewayCallResult.Failure(failed));
            }

            PluginFormat format = PayloadMapper.FormatOf(plugin);
            ReadOnlyMemory<byte> request;
            ResultKind kind;
            try
            {
                if (ContractShapes.IsContractMethod(plugin, cmd))
                {
                    request = PayloadMapper.ContractArguments(parameters, format, method);
                    kind = ResultKind.Value;
                }
                else if (options.OneValue)
                {
                    request = PayloadMapper.OneValue(parameters, format);
                    kind = ResultKind.Value;
                }
                else
                {
                    request = PayloadMapper.CommandArguments(parameters, format, method, out kind);
                }
            }
            catch (GatewayMappingException ex)
            {
                return Counted(GatewayCallResult.Failure(ex.Error));
            }
            catch (Exception ex) when (ex is MessagePack.MessagePackSerializationException or FormatException or OverflowException)
            {
                return Counted(GatewayCallResult.Failure(GatewayErrorKind.InvalidParams, ErrorCodes.InvalidRequest, $"The params of '{method}' cannot be converted to the plugin's format."));
            }

            Chunk answer;
            try
            {
                answer = await plugin.CallAsync(new Chunk { Direction = Direction.Request, Cmd = cmd, Buffer = request, Headers = options.Headers }, _callTimeout ?? plugin.DefaultCallTimeout, cancellationToken).ConfigureAwait(false);
            }
            catch (RemoteException ex)
            {
                return Counted(GatewayCallResult.Failure(FromRemote(ex, method)));
            }
            catch (OperationCanceledException)
            {
                // Asked by the client (its token), or the plugin's handler gave up on its own (answered CANCELLED).
                return Counted(Cancelled(method));
            }
            catch (TimeoutException)
            {
                return Counted(GatewayCallResult.Failure(GatewayErrorKind.Timeout, ErrorCodes.Timeout, $"'{method}' did not answer within {_callTimeout ?? plugin.DefaultCallTimeout}."));
            }
            catch (Exception ex) when (ex is ChannelClosedException or PluginExitedException or ObjectDisposedException)
            {
                GatewayLog.PluginUnavailable(_logger, pluginName, cmd, ex);
                return Counted(Unavailable(pluginName));
            }
            catch (Exception ex) when (ex is not OutOfMemoryException)
            {
                GatewayLog.CallFailed(_logger, pluginName, cmd, ex);
                return Counted(GatewayCallResult.Failure(GatewayErrorKind.Internal, GatewayErrorCodes.Internal, "Internal error."));
            }

            if (answer.Buffer.Length > _maxResultBytes)
            {
                return Counted(GatewayCallResult.Failure(GatewayErrorKind.ResponseTooLarge, ErrorCodes.PayloadTooLarge, $"The answer of '{method}' ({answer.Buffer.Length} bytes) is larger than the gateway sends ({_maxResultBytes})."));
            }

            try
            {
                byte[] json = PayloadMapper.Result(answer.Buffer, kind, format, method);
                return Counted(json.Length > _maxResultBytes
                    ? GatewayCallResult.Failure(GatewayErrorKind.ResponseTooLarge, ErrorCodes.PayloadTooLarge, $"The answer of '{method}' as JSON ({json.Length} bytes) is larger than the gateway sends ({_maxResultBytes}).")
                    : GatewayCallResult.Success(json));
            }
            catch (GatewayMappingException ex)
            {
                GatewayLog.AnswerNotMapped(_logger, pluginName, cmd, ex.Message);
                return Counted(GatewayCallResult.Failure(ex.Error));
            }
        }
        finally
        {
            _limiter.Release();
        }
    }

    private GatewayCallResult Counted(GatewayCallResult result)
    {
        _metrics.Calls.Add(1);
        if (result.Error is { } error)
        {
            _metrics.Errors.Add(1, new KeyValuePair<string, object?>("code", error.Code));
        }

        return result;
    }

    /// <summary>Runs <paramref name="query"/> over the exposed plugins only; <see langword="null"/> when it names a plugin that is not exposed (or none).</summary>
    public IReadOnlyList<PluginLogEntry>? QueryLogs(PluginLogQuery query)
    {
        if (query.Plugin is { } name)
        {
            return _exposure.Exposes(name) && _manager.Names.Contains(name) ? _manager.QueryLogs(query) : null;
        }

        return [.. _manager.Names
            .Where(_exposure.Exposes)
            .SelectMany(plugin => _manager.QueryLogs(query with { Plugin = plugin }))
            .OrderByDescending(entry => entry.Timestamp)
            .Take(query.MaxEntries)];
    }

    // A ValueTask: for a running plugin it completes at once, without a Task.
    private async ValueTask<(Plugin? Plugin, GatewayError? Error)> ResolveCoreAsync(string pluginName, string? cmd, CancellationToken cancellationToken)
    {
        if (cmd is null ? !_exposure.Exposes(pluginName) : !_exposure.Allows(pluginName, cmd))
        {
            // The same answer whether the plugin exists or not: clients learn nothing about what is not exposed.
            return (null, new GatewayError(GatewayErrorKind.MethodNotFound, GatewayErrorCodes.NotExposed, $"Method '{MethodName(pluginName, cmd)}' not found."));
        }

        try
        {
            return (await _manager.GetAsync(pluginName, cancellationToken).ConfigureAwait(false), null);
        }
        catch (KeyNotFoundException)
        {
            return (null, new GatewayError(GatewayErrorKind.MethodNotFound, GatewayErrorCodes.UnknownPlugin, $"Method '{MethodName(pluginName, cmd)}' not found: no plugin '{pluginName}' is registered."));
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return (null, Cancelled(MethodName(pluginName, cmd)).Error);
        }
        catch (Exception ex) when (ex is PluginStartException or ObjectDisposedException or ChannelClosedException or TimeoutException)
        {
            GatewayLog.PluginUnavailable(_logger, pluginName, cmd ?? string.Empty, ex);
            return (null, Unavailable(pluginName).Error);
        }
    }

    private static string MethodName(string pluginName, string? cmd) => cmd is null ? pluginName : pluginName + "/" + cmd;

    private static GatewayError FromRemote(RemoteException exception, string method) => exception.Code switch
    {
        ErrorCodes.UnknownCommand => new GatewayError(GatewayErrorKind.MethodNotFound, ErrorCodes.UnknownCommand, $"Method '{method}' not found: the plugin has no such command."),
        ErrorCodes.InvalidRequest => new GatewayError(GatewayErrorKind.InvalidParams, ErrorCodes.InvalidRequest, exception.Message, exception.Details),
        ErrorCodes.Cancelled => new GatewayError(GatewayErrorKind.Cancelled, ErrorCodes.Cancelled, "Request cancelled."),

        // HANDLER_ERROR's details may hold a stack trace (IncludeExceptionDetails): never sent to outside clients.
        ErrorCodes.HandlerError => new GatewayError(GatewayErrorKind.PluginError, ErrorCodes.HandlerError, exception.Message),
        ErrorCodes.ShuttingDown => new GatewayError(GatewayErrorKind.PluginUnavailable, ErrorCodes.ShuttingDown, exception.Message),
        _ => new GatewayError(GatewayErrorKind.PluginError, exception.Code, exception.Message, exception.Details),
    };

    private static GatewayCallResult Cancelled(string method) =>
        GatewayCallResult.Failure(GatewayErrorKind.Cancelled, ErrorCodes.Cancelled, $"Request cancelled ('{method}').");

    private static GatewayCallResult Unavailable(string pluginName) =>
        GatewayCallResult.Failure(GatewayErrorKind.PluginUnavailable, GatewayErrorCodes.PluginUnavailable, $"Plugin '{pluginName}' is unavailable (it could not start, or it stopped).");
}
