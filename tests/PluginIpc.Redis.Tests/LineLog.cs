namespace PluginIpc.Redis.Tests;

/// <summary>Lines reported by a host (what its plugin or code received), which a test can await one by one.</summary>
internal sealed class LineLog(string owner)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(30);
    private readonly List<string> _lines = [];
    private readonly List<(Func<string, bool> Match, TaskCompletionSource<string> Seen)> _waiters = [];

    /// <summary>Gets what else to show when a wait fails.</summary>
    public Func<string>? Diagnostics { get; set; }

    /// <summary>Gets every line so far.</summary>
    public IReadOnlyList<string> Lines
    {
        get
        {
            lock (_lines)
            {
                return [.. _lines];
            }
        }
    }

    public void Add(string line)
    {
        lock (_lines)
        {
            _lines.Add(line);
            foreach ((Func<string, bool> match, TaskCompletionSource<string> seen) in _waiters)
            {
                if (match(line))
                {
                    seen.TrySetResult(line);
                }
            }

            _waiters.RemoveAll(waiter => waiter.Seen.Task.IsCompleted);
        }
    }

    /// <summary>Returns the first line, past or future, that matches; fails the test with the last lines after the timeout.</summary>
    public async Task<string> WaitForAsync(Func<string, bool> match, TimeSpan? timeout = null)
    {
        TimeSpan wait = timeout ?? s_timeout;
        if (await TryWaitForAsync(match, wait) is { } line)
        {
            return line;
        }

        Assert.Fail($"{owner} did not report the line expected within {wait}. Its last lines:\n{string.Join('\n', Lines.TakeLast(40))}\n{Diagnostics?.Invoke()}");
        return "";
    }

    /// <summary>Returns the first line, past or future, that matches, or <see langword="null"/> after <paramref name="timeout"/>.</summary>
    public async Task<string?> TryWaitForAsync(Func<string, bool> match, TimeSpan timeout)
    {
        var seen = new TaskCompletionSource<string>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lines)
        {
            if (_lines.FirstOrDefault(match) is { } line)
            {
                return line;
            }

            _waiters.Add((match, seen));
        }

        try
        {
            return await seen.Task.WaitAsync(timeout);
        }
        catch (TimeoutException)
        {
            lock (_lines)
            {
                _waiters.RemoveAll(waiter => waiter.Seen == seen);
            }

            return null;
        }
    }
}
