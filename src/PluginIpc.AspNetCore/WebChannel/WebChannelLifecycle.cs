using System.Buffers;
using System.Collections.Concurrent;
using System.Runtime.CompilerServices;
using System.Text.Json;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using PluginIpc.AspNetCore.Calls;
using PluginIpc.AspNetCore.Diagnostics;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>
/// Tells plugins about the envelope's pages with one-way messages (<see cref="WebChannelLifecycleCommands"/>), each buffer one
/// value <c>{pageId, changeType, data}</c> in the plugin's format: onInit once per plugin process the gateway reaches, before
/// anything else it sends it; onDestroy to each of those still running when the application stops.
/// </summary>
internal sealed class WebChannelLifecycle : IHostedService
{
    // How long the gateway waits to tell a plugin a page closed, or that the application stops.
    private static readonly TimeSpan s_notifyTimeout = TimeSpan.FromSeconds(5);

    private readonly ILogger _logger;
    private readonly TimeSpan _sendTimeout; // onInit's and onPageReady's, which requests wait for
    private readonly Func<Plugin, CancellationToken, Task> _sendInit;

    // Metadata is one dictionary per start of a plugin process: keyed on it, a restarted (or replaced) plugin is told onInit again.
    private readonly ConditionalWeakTable<IReadOnlyDictionary<string, string>, Lazy<Task>> _initialized = [];
    private readonly ConcurrentDictionary<string, Plugin> _reached = new(StringComparer.Ordinal);

    public WebChannelLifecycle(ILoggerFactory loggerFactory)
        : this(loggerFactory, s_notifyTimeout, sendInit: null)
    {
    }

    /// <summary>Creates the lifecycle with the timeout of onInit and onPageReady and, for tests, what sends onInit.</summary>
    internal WebChannelLifecycle(ILoggerFactory loggerFactory, TimeSpan sendTimeout, Func<Plugin, CancellationToken, Task>? sendInit)
    {
        ArgumentNullException.ThrowIfNull(loggerFactory);
        _logger = loggerFactory.CreateLogger(GatewayLog.Category);
        _sendTimeout = sendTimeout;
        _sendInit = sendInit ?? ((plugin, cancellationToken) => SendAsync(plugin, WebChannelLifecycleCommands.OnInit, null, null, default, cancellationToken));
    }

    /// <summary>
    /// Sends onInit to <paramref name="plugin"/> if this process of it was not told yet (once, however many ask at once), and waits
    /// until it is sent. A send that fails or takes longer than the timeout is forgotten: the next caller sends onInit again.
    /// </summary>
    /// <returns>The failure, or <see langword="null"/> once onInit is on its way.</returns>
    public async ValueTask<GatewayError?> EnsureInitAsync(string name, Plugin plugin, CancellationToken cancellationToken)
    {
        if (!_reached.TryGetValue(name, out Plugin? known) || !ReferenceEquals(known, plugin))
        {
            _reached[name] = plugin; // written only when it changes: every gateway call passes here
        }

        Lazy<Task> init = _initialized.GetValue(plugin.Metadata, _ => new Lazy<Task>(() => InitAsync(plugin)));
        try
        {
            await init.Value.WaitAsync(cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            if (init.Value.IsCompleted)
            {
                Forget(plugin.Metadata, init); // failed or timed out, not merely this caller's wait cancelled
            }

            return Failed(name, WebChannelLifecycleCommands.OnInit, ex, cancellationToken);
        }
    }

    /// <summary>Makes sure <paramref name="plugin"/> was told onInit, then sends it <paramref name="cmd"/>.</summary>
    /// <returns>The failure, or <see langword="null"/> once the message is sent.</returns>
    public async ValueTask<GatewayError?> NotifyAsync(string name, Plugin plugin, string cmd, string? pageId, string? changeType, JsonElement data, CancellationToken cancellationToken)
    {
        if (await EnsureInitAsync(name, plugin, cancellationToken).ConfigureAwait(false) is { } failed)
        {
            return failed;
        }

        try
        {
            await SendAsync(plugin, cmd, pageId, changeType, data, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Failed(name, cmd, ex, cancellationToken);
        }
    }

    /// <summary>
    /// Tells <paramref name="plugin"/>'s current process that <paramref name="pageId"/>, a page of a WebSocket connection, is
    /// ready, unless it was told already (see <see cref="WebChannelPages.EnsureReady"/>); a page the connection cannot keep
    /// is told only when <paramref name="again"/> asks for it, and otherwise the plugin only made sure of onInit.
    /// </summary>
    /// <param name="name">The plugin's name.</param>
    /// <param name="plugin">The plugin.</param>
    /// <param name="pages">The connection's pages.</param>
    /// <param name="pageId">The page.</param>
    /// <param name="again">Tell even if told already: the client said page_ready itself.</param>
    /// <param name="connectionClosed">Ends the telling, which every request of the page shares: the connection closed.</param>
    /// <param name="cancellationToken">Ends this request's wait.</param>
    /// <returns>The failure, or <see langword="null"/> once the plugin was told.</returns>
    public async ValueTask<GatewayError?> PageReadyAsync(string name, Plugin plugin, WebChannelPages pages, string pageId, bool again, CancellationToken connectionClosed, CancellationToken cancellationToken)
    {
        Task<GatewayError?>? told = pages.EnsureReady(name, pageId, plugin.Metadata, () => TellPageReadyAsync(name, plugin, pageId, connectionClosed), again);
        if (told is null)
        {
            return again
                ? await NotifyAsync(name, plugin, WebChannelLifecycleCommands.OnPageReady, pageId, null, default, cancellationToken).ConfigureAwait(false)
                : await EnsureInitAsync(name, plugin, cancellationToken).ConfigureAwait(false);
        }

        try
        {
            return await told.WaitAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException ex)
        {
            return Failed(name, WebChannelLifecycleCommands.OnPageReady, ex, cancellationToken);
        }
    }

    // Every request of the page waits for this telling: bounded, or a plugin that stopped reading would hold them until the connection closes.
    private async Task<GatewayError?> TellPageReadyAsync(string name, Plugin plugin, string pageId, CancellationToken connectionClosed)
    {
        try
        {
            return await NotifyAsync(name, plugin, WebChannelLifecycleCommands.OnPageReady, pageId, null, default, connectionClosed).AsTask().WaitAsync(_sendTimeout, connectionClosed).ConfigureAwait(false);
        }
        catch (Exception ex) when (ex is TimeoutException or OperationCanceledException)
        {
            return Failed(name, WebChannelLifecycleCommands.OnPageReady, ex, connectionClosed);
        }
    }

    /// <summary>Sends <paramref name="message"/> one-way to <paramref name="plugin"/> (after onInit).</summary>
    /// <returns>The failure, or <see langword="null"/> once it is sent.</returns>
    public async ValueTask<GatewayError?> NotifyRawAsync(string name, Plugin plugin, Chunk message, CancellationToken cancellationToken)
    {
        if (await EnsureInitAsync(name, plugin, cancellationToken).ConfigureAwait(false) is { } failed)
        {
            return failed;
        }

        try
        {
            await plugin.NotifyAsync(message, cancellationToken).ConfigureAwait(false);
            return null;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return Failed(name, message.Cmd, ex, cancellationToken);
        }
    }

    /// <summary>Tells each plugin of <paramref name="pages"/> that is still running onBeforeDestroy for the page (a WebSocket connection closed); never starts one.</summary>
    public async Task PagesClosedAsync(IReadOnlyList<(string Plugin, string Page)> pages)
    {
        using var timeout = new CancellationTokenSource(s_notifyTimeout);
        foreach ((string name, string page) in pages)
        {
            if (_reached.TryGetValue(name, out Plugin? plugin) && plugin.State == PluginState.Running)
            {
                await NotifyAsync(name, plugin, WebChannelLifecycleCommands.OnBeforeDestroy, page, null, default, timeout.Token).ConfigureAwait(false);
            }
        }
    }

    public Task StartAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <summary>Tells every plugin the gateway reached that is still running onDestroy: the application stops.</summary>
    public async Task StopAsync(CancellationToken cancellationToken)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        timeout.CancelAfter(s_notifyTimeout);
        await Task.WhenAll(_reached.Select(async pair =>
        {
            if (pair.Value.State == PluginState.Running)
            {
                await NotifyAsync(pair.Key, pair.Value, WebChannelLifecycleCommands.OnDestroy, null, null, default, timeout.Token).ConfigureAwait(false);
            }
        })).ConfigureAwait(false);
    }

    // onInit is sent once for all who wait: bounded by its own timeout (a stuck pipe must not hold every later call), also
    // when the send ignores its token; one given up on is still observed.
    private async Task InitAsync(Plugin plugin)
    {
        using var timeout = new CancellationTokenSource(_sendTimeout);
        Task send = _sendInit(plugin, timeout.Token);
        _ = send.ContinueWith(static task => _ = task.Exception, CancellationToken.None, TaskContinuationOptions.OnlyOnFaulted | TaskContinuationOptions.ExecuteSynchronously, TaskScheduler.Default);
        await send.WaitAsync(_sendTimeout).ConfigureAwait(false);
    }

    // Removes a failed onInit, unless another caller already replaced it.
    private void Forget(IReadOnlyDictionary<string, string> key, Lazy<Task> failed)
    {
        lock (_initialized)
        {
            if (_initialized.TryGetValue(key, out Lazy<Task>? current) && ReferenceEquals(current, failed))
            {
                _initialized.Remove(key);
            }
        }
    }

    private static async Task SendAsync(Plugin plugin, string cmd, string? pageId, string? changeType, JsonElement data, CancellationToken cancellationToken)
    {
        var buffer = new ArrayBufferWriter<byte>(128);
        using (var writer = new Utf8JsonWriter(buffer))
        {
            writer.WriteStartObject();
            writer.WriteString("pageId"u8, pageId);
            writer.WriteString("changeType"u8, changeType);
            writer.WritePropertyName("data"u8);
            if (data.ValueKind == JsonValueKind.Undefined)
            {
                writer.WriteNullValue();
            }
            else
            {
                data.WriteTo(writer);
            }

            writer.WriteEndObject();
        }

        using JsonDocument payload = JsonDocument.Parse(buffer.WrittenMemory);
        ReadOnlyMemory<byte> message = PayloadMapper.OneValue(payload.RootElement, PayloadMapper.FormatOf(plugin));
        await plugin.NotifyAsync(new Chunk { Direction = Direction.OneWay, Cmd = cmd, Buffer = message }, cancellationToken).ConfigureAwait(false);
    }

    private GatewayError Failed(string name, string cmd, Exception exception, CancellationToken cancellationToken)
    {
        if (exception is OperationCanceledException && cancellationToken.IsCancellationRequested)
        {
            return new GatewayError(GatewayErrorKind.Cancelled, ErrorCodes.Cancelled, $"Request cancelled ('{name}/{cmd}').");
        }

        if (exception is GatewayMappingException mapping)
        {
            return mapping.Error;
        }

        GatewayLog.PluginUnavailable(_logger, name, cmd, exception);
        return new GatewayError(GatewayErrorKind.PluginUnavailable, GatewayErrorCodes.PluginUnavailable, $"Plugin '{name}' is unavailable (it could not start, or it stopped).");
    }
}
