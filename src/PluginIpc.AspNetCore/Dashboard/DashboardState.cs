namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>
/// The plugins' list as the dashboard sends it, made at most every <see cref="MaxAge"/> however many pages watch, so that
/// open pages cost the host one snapshot, not one each.
/// </summary>
/// <remarks>Thread safe.</remarks>
internal sealed class DashboardState(IPluginManager manager, DashboardFigures figures, TimeProvider time)
{
    /// <summary>How old a snapshot may be when it is handed out again.</summary>
    public static readonly TimeSpan MaxAge = TimeSpan.FromMilliseconds(100);

    /// <summary>How old a live tail's result may be when it is handed out again.</summary>
    public static readonly TimeSpan TailMaxAge = TimeSpan.FromMilliseconds(500);

    /// <summary>How many distinct live-tail queries are kept; when more are asked for, the oldest results go.</summary>
    public const int MaxTailQueries = 64;

    private readonly Lock _lock = new();
    private readonly Dictionary<PluginLogQuery, (byte[] Logs, long MadeAt)> _tails = [];
    private byte[]? _plugins;
    private long _madeAt;

    public IPluginManager Manager => manager;

    public DashboardFigures Figures => figures;

    public TimeProvider Time => time;

    /// <summary>
    /// Returns the result of a live tail's <paramref name="query"/> (<see cref="DashboardJson.Logs"/>), no older than
    /// <see cref="TailMaxAge"/>: pages that tail the same query share one run of it.
    /// </summary>
    public byte[] Tail(PluginLogQuery query)
    {
        lock (_lock)
        {
            if (_tails.TryGetValue(query, out (byte[] Logs, long MadeAt) kept) && time.GetElapsedTime(kept.MadeAt) < TailMaxAge)
            {
                return kept.Logs;
            }

            if (_tails.Count >= MaxTailQueries)
            {
                _tails.Remove(_tails.MinBy(tail => tail.Value.MadeAt).Key);
            }
        }

        // Run off the lock: a query over large histories must not hold up the other pages.
        byte[] logs = DashboardJson.Logs(manager.QueryLogs(query));
        lock (_lock)
        {
            _tails[query] = (logs, time.GetTimestamp());
        }

        return logs;
    }

    /// <summary>Returns the plugins' list (<see cref="DashboardJson.Plugins"/>), no older than <see cref="MaxAge"/>.</summary>
    public byte[] Plugins()
    {
        lock (_lock)
        {
            if (_plugins is null || time.GetElapsedTime(_madeAt) >= MaxAge)
            {
                _plugins = DashboardJson.Plugins(manager, figures);
                _madeAt = time.GetTimestamp();
            }

            return _plugins;
        }
    }
}
