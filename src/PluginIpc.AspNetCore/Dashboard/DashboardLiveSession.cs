using System.Text.Json;
using Microsoft.Extensions.Logging;
using PluginIpc.AspNetCore.Diagnostics;
using PluginIpc.AspNetCore.Transport;

namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>
/// One page's live socket: the server sends the plugins' list whenever it changes (checked every <see cref="Period"/>) and,
/// while the page asks for a live tail (<c>{"type":"logs","query":{...}}</c>; <c>null</c> ends it), the query's newest entries
/// whenever they change. What it sends goes through the connection's bounded queue: a page that stops reading is cut off.
/// </summary>
internal sealed class DashboardLiveSession : IWebSocketSession
{
    /// <summary>How often the list and the tail are checked for changes.</summary>
    public static readonly TimeSpan Period = TimeSpan.FromMilliseconds(100);

    /// <summary>How often a live tail's query runs again.</summary>
    public static readonly TimeSpan TailPeriod = TimeSpan.FromMilliseconds(500);

    /// <summary>How often the page's access is checked again: a session that ended closes its socket within this.</summary>
    public static readonly TimeSpan AccessPeriod = TimeSpan.FromSeconds(2);

    private readonly GatewayWebSocketConnection _connection;
    private readonly DashboardState _state;
    private readonly Func<bool> _stillAllowed;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stop;
    private readonly Task _loop;
    private PluginLogQuery? _tail;
    private int _tailVersion;

    /// <param name="connection">The accepted socket.</param>
    /// <param name="state">The plugins' list and the manager.</param>
    /// <param name="stillAllowed">Checks the page's access again (its session may end while the socket is open).</param>
    /// <param name="logger">Where a failure of the loop is logged.</param>
    public DashboardLiveSession(GatewayWebSocketConnection connection, DashboardState state, Func<bool> stillAllowed, ILogger logger)
    {
        _connection = connection;
        _state = state;
        _stillAllowed = stillAllowed;
        _logger = logger;
        _stop = CancellationTokenSource.CreateLinkedTokenSource(connection.Closing);
        _loop = Task.Run(() => PushAsync(_stop.Token));
    }

    /// <summary>Gets <see langword="true"/>: a page watches as long as it is open, so the connection is never idle.</summary>
    public bool IsBusy => true;

    public ValueTask OnMessageAsync(ReadOnlyMemory<byte> message)
    {
        try
        {
            using JsonDocument document = ClientJson.Parse(message);
            JsonElement root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object || !root.TryGetProperty("type", out JsonElement type) || type.ValueKind != JsonValueKind.String || type.GetString() != "logs"
                || !root.TryGetProperty("query", out JsonElement query))
            {
                throw new LogQueryException("The dashboard's socket takes {\"type\":\"logs\",\"query\":{...} or null}.");
            }

            PluginLogQuery? tail = query.ValueKind == JsonValueKind.Null ? null : LogQueryReader.Read(query);
            if (tail?.Plugin is { } plugin && !_state.Manager.Names.Contains(plugin))
            {
                throw new LogQueryException($"No plugin is named '{LogQueryReader.Shorten(plugin)}'.");
            }

            Volatile.Write(ref _tail, tail);
            Interlocked.Increment(ref _tailVersion);
        }
        catch (Exception ex) when (ex is JsonException or LogQueryException)
        {
            _connection.TrySend(DashboardJson.Error(ex is JsonException ? "The message is not JSON." : ex.Message));
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _stop.CancelAsync().ConfigureAwait(false);
        await _loop.ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        _stop.Dispose();
    }

    private async Task PushAsync(CancellationToken cancellationToken)
    {
        try
        {
            await PushChangesAsync(cancellationToken).ConfigureAwait(false);
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            // the connection is closing
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            // Not silently: a page must not show "live" over a loop that died.
            GatewayLog.DashboardLiveFailed(_logger, _connection.Remote, ex);
            _connection.Close(GatewayCloseCodes.InternalError, "the dashboard failed; see the server's log");
        }
    }

    private async Task PushChangesAsync(CancellationToken cancellationToken)
    {
        byte[]? lastPlugins = null;
        byte[]? lastLogs = null;
        int lastVersion = 0;
        long lastTail = 0;
        TimeProvider time = _state.Time;
        long lastAccess = time.GetTimestamp();
        using var timer = new PeriodicTimer(Period, time);
        do
        {
            if (time.GetElapsedTime(lastAccess) >= AccessPeriod)
            {
                if (!_stillAllowed())
                {
                    _connection.Close(GatewayCloseCodes.SessionEnded, "the session ended");
                    return;
                }

                lastAccess = time.GetTimestamp();
            }

            byte[] plugins = _state.Plugins();
            if (!ReferenceEquals(plugins, lastPlugins) && (lastPlugins is null || !plugins.AsSpan().SequenceEqual(lastPlugins)) && !_connection.TrySend(plugins))
            {
                return;
            }

            lastPlugins = plugins;
            int version = Volatile.Read(ref _tailVersion);
            if (Volatile.Read(ref _tail) is { } tail && (version != lastVersion || time.GetElapsedTime(lastTail) >= TailPeriod))
            {
                byte[] logs = _state.Tail(tail);
                if ((version != lastVersion || lastLogs is null || !logs.AsSpan().SequenceEqual(lastLogs)) && !_connection.TrySend(logs))
                {
                    return;
                }

                lastLogs = logs;
                lastTail = time.GetTimestamp();
            }

            lastVersion = version;
        }
        while (await timer.WaitForNextTickAsync(cancellationToken).ConfigureAwait(false));
    }
}
