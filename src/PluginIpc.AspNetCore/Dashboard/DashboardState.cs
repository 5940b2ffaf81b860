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

    private readonly Lock _lock = new();
    private byte[]? _plugins;
    private long _madeAt;

    public IPluginManager Manager => manager;

    public DashboardFigures Figures => figures;

    public TimeProvider Time => time;

    /// <summary>Returns the plugins' list (<see cref="DashboardJson.Plugins"/>), no older than <see cref="MaxAge"/>.</summary>
    public byte[] Plugins()
    {
        lock (_lock)
        {
            if (_plugins is null || time.GetElapsedTime(_madeAt) >= MaxAge)
            {
                _plugins = DashboardJson.Plugins(manager, figures, time.GetUtcNow());
                _madeAt = time.GetTimestamp();
            }

            return _plugins;
        }
    }
}
