using System.Diagnostics;

namespace PluginIpc;

/// <summary>
/// Watches the code a read loop runs inline (handlers, and callers' continuations) so that none of it can stop reading:
/// code that holds the loop for a whole check period loses it, and the channel goes on reading on another thread.
/// </summary>
/// <remarks>
/// The loop wraps the code it runs for one read in a batch, and each piece of inline code in a section: <see cref="Enter"/>
/// before, <see cref="TryExit"/> after. Section numbers only grow (odd while code runs, even between), so a check that
/// finds the same odd section twice in a row knows the code has not returned for a period; it closes the section itself
/// and reports the stall. The loop's <see cref="TryExit"/> then fails, and the loop must stop touching the input: its
/// successor owns it. Only the owner opens sections, and the check only closes odd ones, so the owner always opens from an
/// even number. The check runs only while the loop is busy: a batch arms it once, so a section costs one compare-and-swap.
/// <para>
/// Slow code (over a millisecond) is found in two steps. A batch (the chunks of one read) is timed as a whole with the
/// coarse clock (<see cref="Environment.TickCount64"/>, a few times cheaper to read than <see cref="Stopwatch"/>, but it
/// moves in steps of a few milliseconds): a batch during which it moved may have been slow. The guard then times each
/// section of the next <see cref="ProbationBatches"/> batches with the precise clock; a section found slow there counts as
/// a slow run of its work and keeps the precise timing on for <see cref="PreciseBatches"/> batches, so runs in a row are
/// counted. Work that is slow every time thus has its runs counted from the one after the first batch that moved the
/// coarse clock.
/// </para>
/// </remarks>
internal sealed class InlineDispatchGuard : IDisposable
{
    // Real stalls of the loop's thread are measured, not timeouts: the guard stays on the real clock whatever ChannelOptions.TimeProvider is.
    /// <summary>How long inline code may run before it counts as slow.</summary>
    private static readonly long s_slowTicks = Stopwatch.Frequency / 1000;

    private readonly Action<SlowRunCounter> _onStall;
    private readonly Action<SlowRunCounter> _onSlowRun;
    private readonly PeriodicCheck _check;
    private long _section;

    /// <summary>1 from <see cref="BeginBatch"/> to <see cref="EndBatch"/>: the check keeps running meanwhile, so sections need not arm it.</summary>
    private int _batchOpen;
    private long _lastSeen;
    private long _enteredAt;
    private long _exitedAt;
    private SlowRunCounter? _work;
    /// <summary>The coarse clock, in milliseconds, when the batch's first section opened.</summary>
    private long _batchStartedAt;
    private int _batchSections;
    private int _preciseBatchesLeft;

    /// <summary>Initializes a guard.</summary>
    /// <param name="period">How often a busy loop is checked: inline code is taken over after one to two periods.</param>
    /// <param name="onStall">Told, on the <see cref="CheckThread"/>, which work held the loop; reading must go on elsewhere from then on. Must not block.</param>
    /// <param name="onSlowRun">Told, on the loop's thread, which work held the loop over a millisecond and returned.</param>
    /// <remarks>A quick run is recorded on its work directly (<see cref="SlowRunCounter.RecordQuickRun"/>).</remarks>
    public InlineDispatchGuard(TimeSpan period, Action<SlowRunCounter> onStall, Action<SlowRunCounter> onSlowRun)
    {
        _onStall = onStall;
        _onSlowRun = onSlowRun;
        _check = new PeriodicCheck(period, Check, IsActive);
    }

    /// <summary>How many batches are timed section by section after a slow section.</summary>
    public const int PreciseBatches = 64;

    /// <summary>How many batches are timed section by section after a batch during which the coarse clock moved.</summary>
    /// <remarks>Few: under load a quick batch crosses a step of the coarse clock now and then, and precise timing costs a clock read or two per section.</remarks>
    public const int ProbationBatches = 16;

    /// <summary>Gets a value indicating whether the loop is running inline code (a handler, a caller's continuation) that has not returned.</summary>
    public bool IsRunningInlineCode => (Volatile.Read(ref _section) & 1) == 1;

    /// <summary>Starts a batch: the sections that follow, up to <see cref="EndBatch"/>, are the code run for one read.</summary>
    public void BeginBatch()
    {
        // Open before the check is armed (a full fence between the two), so the check, which clears its armed flag before it
        // looks at the batch again, either keeps running or is armed here.
        Interlocked.Exchange(ref _batchOpen, 1);
        _check.Arm();
        ResetClock();
    }

    /// <summary>Ends a batch; if it may have been slow, the next batches are timed section by section.</summary>
    public void EndBatch()
    {
        Volatile.Write(ref _batchOpen, 0);
        if (_preciseBatchesLeft > 0)
        {
            _preciseBatchesLeft--; // Each section was timed as it closed.
        }
        else if (BatchSoFarMayBeSlow())
        {
            // Time the next batches section by section: each run of the code is then judged on its own, so that slow runs
            // in a row can be counted, and a batch of several sections finds which one was slow.
            _preciseBatchesLeft = ProbationBatches;
        }
    }

    /// <summary>Opens a section before inline code runs.</summary>
    /// <param name="work">What is about to run, handed to the stall callback.</param>
    /// <returns>The section, for <see cref="TryExit"/>.</returns>
    public long Enter(SlowRunCounter work)
    {
        _work = work;
        long section = Volatile.Read(ref _section) + 1;
        Volatile.Write(ref _section, section); // The batch keeps the check running.
        if (_preciseBatchesLeft > 0)
        {
            _enteredAt = _exitedAt != 0 ? _exitedAt : Stopwatch.GetTimestamp();
        }
        else if (_batchSections++ == 0)
        {
            _batchStartedAt = Environment.TickCount64;
        }

        return section;
    }

    /// <summary>
    /// Starts timing afresh at the next section, so that work the loop did on its own (such as reading a large chunk) does
    /// not count against the code it runs next.
    /// </summary>
    /// <remarks>
    /// When the batch is timed as a whole, the sections so far cannot be told from the loop's own work any more: if the
    /// batch so far may have been slow, the guard times the next batches section by section.
    /// </remarks>
    public void RestartClock()
    {
        if (_preciseBatchesLeft == 0 && BatchSoFarMayBeSlow())
        {
            _preciseBatchesLeft = ProbationBatches + 1; // This batch's end counts one off.
        }

        ResetClock();
    }

    /// <summary>
    /// Closes <paramref name="section"/> after the inline code returned, and records the run as quick, or as slow when the
    /// guard times each section (after a batch that may have been slow) and the code ran over a millisecond.
    /// </summary>
    /// <param name="section">What <see cref="Enter"/> returned.</param>
    /// <returns><see langword="false"/> when the section was taken over: the caller no longer owns the input.</returns>
    public bool TryExit(long section)
    {
        bool slow = false;
        if (_preciseBatchesLeft > 0)
        {
            long now = Stopwatch.GetTimestamp();
            slow = now - _enteredAt > s_slowTicks;
            _exitedAt = now; // Sections back to back: the next one starts here, one clock read fewer.
        }

        if (Interlocked.CompareExchange(ref _section, section + 1, section) != section)
        {
            return false; // The stall already counted as a slow run.
        }

        if (slow)
        {
            _preciseBatchesLeft = PreciseBatches; // Go on timing each run, so that runs in a row are counted.
            _onSlowRun(_work!);
        }
        else
        {
            _work!.RecordQuickRun();
        }

        return true;
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
            Volatile.Write(ref _batchOpen, 0); // The stuck loop will not end its batch; its successor opens its own.
            _onStall(_work!);
        }
    }

    private void ResetClock()
    {
        _batchSections = 0;
        _exitedAt = 0;
    }

    /// <summary>
    /// Whether sections ran since the batch began and the coarse clock moved meanwhile: they, with the loop's work between
    /// them, may have taken over a millisecond.
    /// </summary>
    private bool BatchSoFarMayBeSlow() => _batchSections > 0 && Environment.TickCount64 != _batchStartedAt;

    /// <summary>Whether the loop is in a batch or a section, or moved since the last check.</summary>
    private bool IsActive()
    {
        long section = Volatile.Read(ref _section);
        return Volatile.Read(ref _batchOpen) != 0 || (section & 1) == 1 || section != _lastSeen;
    }
}
