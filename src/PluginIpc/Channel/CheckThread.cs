namespace PluginIpc;

/// <summary>
/// One background thread that runs every armed <see cref="PeriodicCheck"/> of the process when it is due, so that busy
/// channels' checks never wake the thread pool.
/// </summary>
/// <remarks>
/// A <see cref="Timer"/> would hand each tick to a pool worker, which then spins looking for more work; on a loaded or
/// pinned CPU those spins sit between a channel's reads and its answers. Checks are cheap and never block; what they find
/// to do (a stalled read loop, overdue calls) goes to the thread pool from them. The thread starts with the first check
/// and then waits without a timeout whenever nothing is armed.
/// </remarks>
internal sealed class CheckThread
{
    private readonly object _gate = new(); // a monitor: the thread waits on it
    private readonly List<PeriodicCheck> _armed = [];
    private readonly List<PeriodicCheck> _due = [];
    private bool _started;

    /// <summary>When the thread wakes next on its own (<see cref="Environment.TickCount64"/>), or <see cref="long.MaxValue"/> while it waits for a check.</summary>
    private long _wakeAt = long.MaxValue;

    /// <summary>Initializes a check thread of its own, started by its first check; the library uses <see cref="Shared"/>.</summary>
    internal CheckThread()
    {
    }

    /// <summary>Gets the process's check thread.</summary>
    public static CheckThread Shared { get; } = new();

    /// <summary>Runs <paramref name="check"/> one period from now, and every period after, until <see cref="Remove"/>.</summary>
    /// <param name="check">A check that is not armed yet.</param>
    public void Add(PeriodicCheck check)
    {
        lock (_gate)
        {
            check.DueAt = Environment.TickCount64 + check.PeriodMilliseconds;
            _armed.Add(check);
            if (!_started)
            {
                _started = true;
                // UnsafeStart: the first caller's execution context (activities, AsyncLocals) must not live as long as the thread.
                new Thread(static state => ((CheckThread)state!).Run()) { IsBackground = true, Name = "PluginIpc checks" }.UnsafeStart(this);
            }
            else if (check.DueAt < _wakeAt)
            {
                // Only a thread asleep past the new check needs a wake-up: most adds cost no switch.
                _wakeAt = check.DueAt;
                Monitor.Pulse(_gate);
            }
        }
    }

    /// <summary>Stops running <paramref name="check"/>; a run under way finishes.</summary>
    /// <param name="check">The check.</param>
    public void Remove(PeriodicCheck check)
    {
        lock (_gate)
        {
            _armed.Remove(check);
        }
    }

    private void Run()
    {
        while (true)
        {
            if (!TakeDueChecks())
            {
                continue;
            }

            foreach (PeriodicCheck check in _due)
            {
                check.Tick();
            }

            _due.Clear();
        }
    }

    /// <summary>Moves the checks that are due to <see cref="_due"/> and schedules their next runs, or waits until one may be due.</summary>
    /// <returns><see langword="true"/> when checks are due.</returns>
    private bool TakeDueChecks()
    {
        lock (_gate)
        {
            long now = Environment.TickCount64;
            long next = long.MaxValue;
            foreach (PeriodicCheck check in _armed)
            {
                if (check.DueAt <= now)
                {
                    _due.Add(check);
                    check.DueAt = now + check.PeriodMilliseconds;
                }

                next = Math.Min(next, check.DueAt);
            }

            _wakeAt = next;
            if (_due.Count > 0)
            {
                return true;
            }

            Monitor.Wait(_gate, next == long.MaxValue ? Timeout.Infinite : (int)Math.Min(next - now, int.MaxValue));
            return false;
        }
    }
}
