using Microsoft.Extensions.Time.Testing;

namespace PluginIpc.Tests;

/// <summary>
/// A <see cref="FakeTimeProvider"/> that knows which of its timers are armed and for how long, so that a test advances time
/// only once the code under test waits on it: an advance made before the timer exists would be missed, and the test hang.
/// </summary>
internal sealed class FakeClock : FakeTimeProvider
{
    private readonly Lock _gate = new();
    private readonly List<WatchedTimer> _armed = [];
    private readonly List<(TimeSpan DueTime, int Count, TaskCompletionSource Armed)> _waiters = [];

    /// <summary>Gets the number of timers armed (created or changed with a finite due time) and not yet fired or disposed.</summary>
    public int ArmedCount
    {
        get
        {
            lock (_gate)
            {
                return _armed.Count;
            }
        }
    }

    /// <inheritdoc/>
    public override ITimer CreateTimer(TimerCallback callback, object? state, TimeSpan dueTime, TimeSpan period)
    {
        var timer = new WatchedTimer(this, callback, state, period);
        List<TaskCompletionSource> woken = Arm(timer, dueTime); // first: a timer due at once fires inside base.CreateTimer
        timer.Inner = base.CreateTimer(static watched => ((WatchedTimer)watched!).Fire(), timer, dueTime, period);
        Wake(woken); // only now: a test that advances time once it is armed must find it on the base clock
        return timer;
    }

    /// <summary>Returns whether a timer is armed to fire <paramref name="dueTime"/> after it was armed.</summary>
    public bool IsArmed(TimeSpan dueTime)
    {
        lock (_gate)
        {
            return _armed.Exists(t => t.DueTime == dueTime);
        }
    }

    /// <summary>Completes when a timer is armed to fire <paramref name="dueTime"/> after it was armed (at once if one already is).</summary>
    public Task WhenArmedAsync(TimeSpan dueTime, CancellationToken cancellationToken) => WhenArmedAsync(dueTime, 1, cancellationToken);

    /// <summary>Completes when <paramref name="count"/> timers at once are armed to fire <paramref name="dueTime"/> after they were armed.</summary>
    public Task WhenArmedAsync(TimeSpan dueTime, int count, CancellationToken cancellationToken)
    {
        lock (_gate)
        {
            if (_armed.Count(t => t.DueTime == dueTime) >= count)
            {
                return Task.CompletedTask;
            }

            var armed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
            _waiters.Add((dueTime, count, armed));
            return armed.Task.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Waits, up to <paramref name="limit"/> of real time, until a timer of <paramref name="dueTime"/> is armed, then advances time by <paramref name="dueTime"/>.</summary>
    public async Task AdvanceWhenArmedAsync(TimeSpan dueTime, TimeSpan limit, CancellationToken cancellationToken)
    {
        try
        {
            await WhenArmedAsync(dueTime, cancellationToken).WaitAsync(limit, cancellationToken);
        }
        catch (TimeoutException ex)
        {
            throw new TimeoutException($"No timer of {dueTime} was armed on the fake clock within {limit} of real time: the code does not wait on this clock.", ex);
        }

        Advance(dueTime);
    }

    private static void Wake(List<TaskCompletionSource> woken)
    {
        foreach (TaskCompletionSource armed in woken)
        {
            armed.TrySetResult();
        }
    }

    /// <summary>Records the timer as armed, and returns the waiters it satisfies, for the caller to wake.</summary>
    private List<TaskCompletionSource> Arm(WatchedTimer timer, TimeSpan dueTime)
    {
        List<TaskCompletionSource> woken = [];
        lock (_gate)
        {
            timer.DueTime = dueTime;
            _armed.Remove(timer);
            if (dueTime == Timeout.InfiniteTimeSpan || timer.Disposed)
            {
                return woken;
            }

            _armed.Add(timer);
            for (int i = _waiters.Count - 1; i >= 0; i--)
            {
                if (_waiters[i].DueTime == dueTime && _armed.Count(t => t.DueTime == dueTime) >= _waiters[i].Count)
                {
                    woken.Add(_waiters[i].Armed);
                    _waiters.RemoveAt(i);
                }
            }
        }

        return woken;
    }

    private void Disarm(WatchedTimer timer, bool dispose)
    {
        lock (_gate)
        {
            timer.Disposed |= dispose;
            _armed.Remove(timer);
        }
    }

    /// <summary>A timer of the fake clock that tells the clock when it is armed, fires or is disposed.</summary>
    private sealed class WatchedTimer(FakeClock clock, TimerCallback callback, object? state, TimeSpan period) : ITimer
    {
        private TimeSpan _period = period;

        public ITimer Inner { get; set; } = null!;

        public TimeSpan DueTime { get; set; }

        public bool Disposed { get; set; }

        public bool Change(TimeSpan dueTime, TimeSpan period)
        {
            _period = period;
            List<TaskCompletionSource> woken = clock.Arm(this, dueTime);
            bool changed = Inner.Change(dueTime, period);
            Wake(woken);
            return changed;
        }

        public void Dispose()
        {
            clock.Disarm(this, dispose: true);
            Inner.Dispose();
        }

        public ValueTask DisposeAsync()
        {
            clock.Disarm(this, dispose: true);
            return Inner.DisposeAsync();
        }

        public void Fire()
        {
            if (_period == Timeout.InfiniteTimeSpan || _period == TimeSpan.Zero)
            {
                clock.Disarm(this, dispose: false); // a one-shot timer is no longer armed once it fired
            }

            callback(state);
        }
    }
}
