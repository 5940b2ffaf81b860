using PluginIpc.AspNetCore.Calls;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>
/// The pages one WebSocket connection has open, per plugin: each told onPageReady once per process of the plugin (a restarted
/// plugin lost what it knew of the page), and onBeforeDestroy when the connection closes.
/// </summary>
internal sealed class WebChannelPages
{
    /// <summary>The most pages one connection keeps; more are still served, but not told ready or destroyed by the connection.</summary>
    public const int Capacity = 1024;

    // A page whose last telling failed stays (it is open: onBeforeDestroy still goes when the connection closes), untold: null.
    private readonly Dictionary<(string Plugin, string Page), Told?> _pages = [];
    private bool _closed;

    /// <summary>
    /// Tells <paramref name="process"/> of <paramref name="plugin"/> that <paramref name="page"/> is ready, unless it was told
    /// already (or is being told: every request of the page waits for that one telling). After a telling that fails the
    /// page stays open but untold, so the next request of the page tells it again.
    /// </summary>
    /// <param name="plugin">The plugin's name.</param>
    /// <param name="page">The page.</param>
    /// <param name="process">What identifies the plugin's current process (its metadata, one dictionary per start).</param>
    /// <param name="tell">Sends onPageReady; its failure, or <see langword="null"/> once sent.</param>
    /// <param name="again">Tell even if told already: the client said page_ready itself.</param>
    /// <returns>The telling's outcome, or <see langword="null"/> if the connection keeps no such page (closed, or full).</returns>
    public Task<GatewayError?>? EnsureReady(string plugin, string page, object process, Func<Task<GatewayError?>> tell, bool again = false)
    {
        (string, string) key = (plugin, page);
        Told told;
        lock (_pages)
        {
            bool known = _pages.TryGetValue(key, out Told? current);
            if (_closed || (!known && _pages.Count >= Capacity))
            {
                return null;
            }

            if (known && !again && current is not null && ReferenceEquals(current.Process, process))
            {
                return current.Outcome.Task;
            }

            told = new Told(process);
            _pages[key] = told;
        }

        return TellAsync(key, told, tell);
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
            List<(string, string)> pages = [.. _pages.Keys];
            _pages.Clear();
            return pages;
        }
    }

    private async Task<GatewayError?> TellAsync((string, string) key, Told told, Func<Task<GatewayError?>> tell)
    {
        GatewayError? failure;
        try
        {
            failure = await tell().ConfigureAwait(false);
        }
        catch (Exception ex)
        {
            MarkUntold(key, told);
            told.Outcome.SetException(ex);
            _ = told.Outcome.Task.Exception; // observed: the requests that wait for it get it, and none may
            throw;
        }

        if (failure is not null)
        {
            MarkUntold(key, told);
        }

        told.Outcome.SetResult(failure);
        return failure;
    }

    // Leaves the page open but untold after a failed telling, unless a newer telling replaced it.
    private void MarkUntold((string, string) key, Told told)
    {
        lock (_pages)
        {
            if (_pages.TryGetValue(key, out Told? current) && ReferenceEquals(current, told))
            {
                _pages[key] = null;
            }
        }
    }

    /// <summary>A telling of onPageReady to one process of the plugin.</summary>
    private sealed class Told(object process)
    {
        public object Process { get; } = process;

        public TaskCompletionSource<GatewayError?> Outcome { get; } = new(TaskCreationOptions.RunContinuationsAsynchronously);
    }
}
