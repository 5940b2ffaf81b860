using System.Diagnostics;

namespace PluginIpc;

/// <summary>
/// Watches the code a read loop runs inline (handlers, and callers' continuations) so that none of it can stop reading:
/// code that holds the loop for a whole check period loses it, and the channel goes on reading on another thread.
/// </summary>
/// <remarks>
/// The loop wraps each piece of inline code in a section: <see cref="Enter"/> before, <see cref="TryExit"/> after. Section
/// numbers only grow (odd while code runs, even between), so a check that finds the same odd section twice in a row knows
/// the code has not returned for a period; it closes the section itself and reports the stall. The loop's
/// <see cref="TryExit"/> then fails, and the loop must stop touching the input: its successor owns it. Only the owner
/// opens sections, and the check only closes odd ones, so the owner always opens from an even number. The check runs only
/// while the loop is busy.
/// </remarks>
internal sealed class InlineDispatchGuard : IDisposable
{
    /// <summary>How long inline code may run before it counts as slow.</summary>
    private static readonly long s_slowTicks = Stopwatch.Frequency / 1000;

    private readonly Action<SlowRunCounter> _onStall;
    private readonly PeriodicCheck _check;
    private long _section;
    private long _lastSeen;
    private long _enteredAt;
    private long _exitedAt;
    private SlowRunCounter? _work;

    /// <summary>Initializes a guard.</summary>
    /// <param name="period">How often a busy loop is checked: inline code is taken over after one to two periods.</param>
    /// <param name="onStall">Told, on a timer thread, which work held the loop; reading must go on elsewhere from then on.</param>
    public InlineDispatchGuard(TimeSpan period, Action<SlowRunCounter> onStall)
    {
        _onStall = onStall;
        _check = new PeriodicCheck(period, Check, IsActive);
    }

    /// <summary>Opens a section before inline code runs.</summary>
    /// <param name="work">What is about to run, handed to the stall callback.</param>
    /// <returns>The section, for <see cref="TryExit"/>.</returns>
    public long Enter(SlowRunCounter work)
    {
        _work = work;
        long section = Volatile.Read(ref _section) + 1;
        Interlocked.Exchange(ref _section, section);
        _check.Arm();
        _enteredAt = _exitedAt != 0 ? _exitedAt : Stopwatch.GetTimestamp();
        return section;
    }

    /// <summary>
    /// Makes the next section read the clock when it opens, rather than start where the last one closed: call it after the
    /// loop waited, or did work of its own that must not count against the next section (such as reading a large chunk).
    /// </summary>
    public void RestartClock() => _exitedAt = 0;

    /// <summary>Closes <paramref name="section"/> after the inline code returned.</summary>
    /// <param name="section">What <see cref="Enter"/> returned.</param>
    /// <param name="slow">Set when the code ran longer than a millisecond.</param>
    /// <returns><see langword="false"/> when the section was taken over: the caller no longer owns the input.</returns>
    public bool TryExit(long section, out bool slow)
    {
        long now = Stopwatch.GetTimestamp();
        slow = now - _enteredAt > s_slowTicks;
        _exitedAt = now; // Sections back to back: the next one starts here, one clock read fewer.
        return Interlocked.CompareExchange(ref _section, section + 1, section) == section;
    }

    /// <inheritdoc/>
    public void Dispose() => _check.Dispose();

    private void Check()
    {
        long section = Volatile.Read(ref _section);
        long lastSeen = _lastSeen;
        _lastSeen = section;
        if (section == lastSeen && (section & 1) == 1 && Interlocked.CompareExchange(ref _section, section + 1, section) == section)
        {
            _onStall(_work!);
        }
    }

    /// <summary>Whether the loop is in a section, or moved since the last check.</summary>
    private bool IsActive()
    {
        long section = Volatile.Read(ref _section);
        return (section & 1) == 1 || section != _lastSeen;
    }
}
