namespace PluginIpc.AspNetCore.Dashboard;

/// <summary>
/// The plugins' list as the dashboard sends it, made at most every <see cref="MaxAge"/> however many pages watch, so that
/// open pages cost the host one snapshot, not one each.
/// </summary>
/// <remarks>Thread safe.</remarks>
/// <param name="manager">The plugin manager.</param>
/// <param name="figures">The plugins' figures.</param>
/// <param name="time">The clock.</param>
/// <param name="maxLogBytes">About the most a live tail's result holds: it must fit a page's send queue even when that queue is empty.</param>
internal sealed class DashboardState(IPluginManager manager, DashboardFigures figures, TimeProvider time, int maxLogBytes = DashboardJson.MaxLogBytes)
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

    /// <summary>Gets how many live-tail results are kept.</summary>
    internal int KeptTails
    {
        get
        {
            lock (_lock)
            {
                return _tails.Count;
            }
        }
    }

    /// <summary>
    /// Returns the result of a live tail's <paramref name="query"/> (<see cref="DashboardJson.Logs"/>), within about the
    /// <c>maxLogBytes</c> it was made with, no older than
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

            if (!_tails.ContainsKey(query) && _tails.Count >= MaxTailQueries) // a stale result is replaced, not another one evicted
            {
                _tails.Remove(_tails.MinBy(tail => tail.Value.MadeAt).Key);
            }
        }

        // Run off the lock: a query over large histories must not hold up the other pages.
        IReadOnlyList<PluginLogEntry> entries = manager.QueryLogs(query);
        byte[] logs = DashboardJson.Logs(entries, maxLogBytes);

        // Writing stops after the entry that crosses the limit, and one entry of escaped text may be several times it: halve
        // the entries until the result fits twice the limit (what the send queue takes), down to none.
        for (int count = entries.Count; logs.Length > 2L * maxLogBytes && count > 0;)
        {
            count /= 2;
            logs = DashboardJson.Logs([.. entries.Take(count)], maxLogBytes, leftOut: true);
        }
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
