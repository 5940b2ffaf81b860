using System.Diagnostics;

namespace PluginIpc;

/// <summary>
/// Watches the code a read loop runs inline (handlers, and callers' continuations) so that none of it can stop reading:
/// code that holds the loop for a whole check period loses it, and the channel goes on reading on another thread.
/// </summary>
/// <remarks>
/// The loop wraps each piece of inline code in a section: <see cref="Enter"/> before, <see cref="TryExit"/> after. Section
/// numbers only grow, so a check that finds the same section open twice in a row knows the code has not returned for a
/// period; it closes the section itself and reports the stall. The loop's <see cref="TryExit"/> then fails, and the loop
/// must stop touching the input: its successor owns it. The check timer runs only while the loop is busy.
/// </remarks>
internal sealed class InlineDispatchGuard : IDisposable
{
    /// <summary>How long inline code may run before it counts as slow.</summary>
    private static readonly long s_slowTicks = Stopwatch.Frequency / 1000;

    private readonly TimeSpan _period;
    private readonly Action<object?> _onStall;
    private readonly Lock _gate = new();
    private readonly Timer _timer;
    private long _lastSection;
    private long _section;
    private long _lastSeen;
    private long _enteredAt;
    private object? _work;
    private int _armed;
    private bool _disposed;

    /// <summary>Initializes a guard.</summary>
    /// <param name="period">How often a busy loop is checked: inline code is taken over after one to two periods.</param>
    /// <param name="onStall">Told, on a timer thread, which work held the loop; reading must go on elsewhere from then on.</param>
    public InlineDispatchGuard(TimeSpan period, Action<object?> onStall)
    {
        _period = period;
        _onStall = onStall;
        using (ExecutionContext.SuppressFlow())
        {
            _timer = new Timer(static state => ((InlineDispatchGuard)state!).Check(), this, Timeout.Infinite, Timeout.Infinite);
        }
    }

    /// <summary>Opens a section before inline code runs.</summary>
    /// <param name="work">What is about to run, handed to the stall callback.</param>
    /// <returns>The section, for <see cref="TryExit"/>.</returns>
    public long Enter(object? work)
    {
        _work = work;
        long section = (Interlocked.Increment(ref _lastSection) << 1) | 1;
        Interlocked.Exchange(ref _section, section);
        if (Volatile.Read(ref _armed) == 0)
        {
            Arm();
        }

        _enteredAt = Stopwatch.GetTimestamp();
        return section;
    }

    /// <summary>Closes <paramref name="section"/> after the inline code returned.</summary>
    /// <param name="section">What <see cref="Enter"/> returned.</param>
    /// <param name="slow">Set when the code ran longer than a millisecond.</param>
    /// <returns><see langword="false"/> when the section was taken over: the caller no longer owns the input.</returns>
    public bool TryExit(long section, out bool slow)
    {
        slow = Stopwatch.GetTimestamp() - _enteredAt > s_slowTicks;
        return Interlocked.CompareExchange(ref _section, section + 1, section) == section;
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

    private void Arm()
    {
        lock (_gate)
        {
            if (_armed == 0 && !_disposed)
            {
                _armed = 1;
                _timer.Change(_period, _period);
            }
        }
    }

    private void Check()
    {
        object? stalled = null;
        bool stall = false;
        lock (_gate)
        {
            long section = Volatile.Read(ref _section);
            long lastSeen = _lastSeen;
            _lastSeen = section;
            if (section != lastSeen || _disposed)
            {
                return; // The loop moved on since the last check.
            }

            if ((section & 1) == 1)
            {
                stall = Interlocked.CompareExchange(ref _section, section + 1, section) == section;
                stalled = _work;
            }
            else
            {
                Disarm(section);
            }
        }

        if (stall)
        {
            _onStall(stalled);
        }
    }

    /// <summary>Stops checking an idle loop until its next section. Runs under <see cref="_gate"/>.</summary>
    private void Disarm(long section)
    {
        // The loop writes its section before it reads _armed, and this writes _armed before it reads the section again,
        // so at least one of the two sees the other's write.
        Interlocked.Exchange(ref _armed, 0);
        if (Volatile.Read(ref _section) == section)
        {
            _timer.Change(Timeout.Infinite, Timeout.Infinite);
        }
        else
        {
            _armed = 1;
        }
    }
}
