namespace PluginIpc;

/// <summary>
/// Runs a check at a fixed period while there is something to check, so that long call timeouts cost one timestamp per
/// call instead of one timer each.
/// </summary>
/// <remarks>The check returns whether anything is left to watch; the sweep stops when nothing is, and <see cref="Arm"/> restarts it.</remarks>
internal sealed class DeadlineSweep : IDisposable
{
    private readonly TimeSpan _period;
    private readonly Func<bool> _check;
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private int _armed;
    private bool _disposed;

    /// <summary>Initializes a stopped sweep.</summary>
    /// <param name="period">How often the check runs, which is also how late a deadline may be noticed.</param>
    /// <param name="check">Handles what is due; returns <see langword="false"/> when nothing is left to watch.</param>
    public DeadlineSweep(TimeSpan period, Func<bool> check)
    {
        _period = period;
        _check = check;
        using (ExecutionContext.SuppressFlow())
        {
            _timer = new Timer(static state => ((DeadlineSweep)state!).Tick(), this, Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <summary>Makes sure the check runs; call after adding something with a deadline.</summary>
    public void Arm()
    {
        if (Volatile.Read(ref _armed) != 0)
        {
            return;
        }

        lock (_gate)
        {
            if (_armed == 0 && !_disposed)
            {
                _armed = 1;
                _timer.Change(_period, _period);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            _timer.Dispose();
        }
    }

    private void Tick()
    {
        if (_check())
        {
            return;
        }

        lock (_gate)
        {
            // Adders set their deadline before they call Arm, which reads _armed after this writes it: a deadline added
            // meanwhile is seen by the second check, or its Arm sees the sweep stopped and restarts it.
            Interlocked.Exchange(ref _armed, 0);
            if (_check())
            {
                _armed = 1;
            }
            else if (!_disposed)
            {
                _timer.Change(Timeout.Infinite, Timeout.Infinite);
            }
        }
    }
}
