namespace PluginIpc;

/// <summary>Runs a check at a fixed period, on the <see cref="CheckThread"/>, while its owner has something to watch, and stops itself when it has not.</summary>
/// <remarks>
/// Owners make themselves active (add a deadline, open a section) before they call <see cref="Arm"/>. Checks never overlap.
/// A check must be quick and must not block: it shares its thread with every channel's checks.
/// </remarks>
internal sealed class PeriodicCheck : IDisposable
{
    private readonly TimeSpan _period;
    private readonly Action _check;
    private readonly Func<bool> _isActive;
    private readonly CheckThread _thread;
    private readonly Lock _gate = new();
    private int _armed;
    private bool _disposed;

    /// <summary>Initializes a stopped check.</summary>
    /// <param name="period">How often the check runs.</param>
    /// <param name="check">The check; runs on the <see cref="CheckThread"/>, must be quick and must not block.</param>
    /// <param name="isActive">Whether there is still something to watch; the check stops when there is not.</param>
    /// <param name="thread">The thread that runs it: the process's, unless a test gives it one of its own.</param>
    public PeriodicCheck(TimeSpan period, Action check, Func<bool> isActive, CheckThread? thread = null)
    {
        _thread = thread ?? CheckThread.Shared;
        _period = period;
        _check = check;
        _isActive = isActive;
    }

    /// <summary>Gets the period in milliseconds.</summary>
    public long PeriodMilliseconds => (long)_period.TotalMilliseconds;

    /// <summary>Gets or sets when the check runs next (<see cref="Environment.TickCount64"/>); the <see cref="CheckThread"/>'s, under its lock.</summary>
    public long DueAt { get; set; }

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
                _thread.Add(this);
            }
        }
    }

    /// <inheritdoc/>
    public void Dispose()
    {
        lock (_gate)
        {
            _disposed = true;
            if (_armed != 0)
            {
                _thread.Remove(this);
            }
        }
    }

    /// <summary>Runs the check, on the <see cref="CheckThread"/>, and stops it when there is nothing left to watch.</summary>
    public void Tick()
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
            // one of the two sees the other: either this keeps the check running, or Arm adds it again.
            Interlocked.Exchange(ref _armed, 0);
            if (_isActive())
            {
                _armed = 1;
            }
            else
            {
                _thread.Remove(this);
            }
        }
    }
}
