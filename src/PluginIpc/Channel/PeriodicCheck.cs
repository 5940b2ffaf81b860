namespace PluginIpc;

/// <summary>Runs a check at a fixed period while its owner has something to watch, and stops itself when it has not.</summary>
/// <remarks>
/// Owners make themselves active (add a deadline, open a section) before they call <see cref="Arm"/>. Checks never overlap.
/// </remarks>
internal sealed class PeriodicCheck : IDisposable
{
    private readonly TimeSpan _period;
    private readonly Action _check;
    private readonly Func<bool> _isActive;
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private int _armed;
    private bool _disposed;

    /// <summary>Initializes a stopped check.</summary>
    /// <param name="period">How often the check runs.</param>
    /// <param name="check">The check; runs on a timer thread.</param>
    /// <param name="isActive">Whether there is still something to watch; the check stops when there is not.</param>
    public PeriodicCheck(TimeSpan period, Action check, Func<bool> isActive)
    {
        _period = period;
        _check = check;
        _isActive = isActive;
        using (ExecutionContext.SuppressFlow())
        {
            _timer = new Timer(static state => ((PeriodicCheck)state!).Tick(), this, Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <summary>Makes sure the check runs; call after becoming active.</summary>
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
        lock (_gate)
        {
            if (_disposed)
            {
                return;
            }

            _check();
            if (_isActive())
            {
                return;
            }

            // An owner becomes active before it reads _armed in Arm, and this writes _armed before it looks again, so
            // one of the two sees the other: either this keeps the timer running, or Arm restarts it.
            Interlocked.Exchange(ref _armed, 0);
            if (_isActive())
            {
                _armed = 1;
            }
            else
            {
                _timer.Change(Timeout.Infinite, Timeout.Infinite);
            }
        }
    }
}
