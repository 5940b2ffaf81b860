namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>The pages one WebSocket connection has open, per plugin: told onPageReady once, and onBeforeDestroy when it closes.</summary>
internal sealed class WebChannelPages
{
    /// <summary>The most pages one connection keeps; more are still served, but not told ready or destroyed by the connection.</summary>
    public const int Capacity = 1024;

    private readonly HashSet<(string Plugin, string Page)> _pages = [];
    private bool _closed;

    /// <summary>Adds the page; returns whether it is new (and the connection still open).</summary>
    public bool Add(string plugin, string page)
    {
        lock (_pages)
        {
            return !_closed && _pages.Count < Capacity && _pages.Add((plugin, page));
        }
    }

    /// <summary>Removes the page; returns whether it was there.</summary>
    public bool Remove(string plugin, string page)
    {
        lock (_pages)
        {
            return _pages.Remove((plugin, page));
        }
    }

    /// <summary>Closes the set and returns its pages: none is added afterwards.</summary>
    public IReadOnlyList<(string Plugin, string Page)> Close()
    {
        lock (_pages)
        {
            _closed = true;
            List<(string, string)> pages = [.. _pages];
            _pages.Clear();
            return pages;
        }
    }
}
