namespace PluginIpc;

/// <summary>
/// A lock for the short critical sections of the hot path: taken with one compare-and-swap when free, released with one
/// write, where <see cref="Lock"/> costs about twice that. Not reentrant. Waiters spin, then yield the CPU; a gate whose
/// holder may run long (a copy of megabytes) lets its waiters sleep now and then instead of yielding without end.
/// </summary>
internal sealed class SpinGate
{
    /// <summary>The spins after which <see cref="SpinWait.SpinOnce()"/> starts sleeping now and then: its own default.</summary>
    private const int SleepAfterSpins = 20;

    /// <summary>Tells <see cref="SpinWait.SpinOnce(int)"/> never to sleep.</summary>
    private const int NeverSleep = -1;

    private readonly int _sleep1Threshold;
    private int _busy;

    /// <summary>Initializes a gate.</summary>
    /// <param name="holdsMayBeLong">Whether a holder may keep the gate long: its waiters then also sleep now and then.</param>
    public SpinGate(bool holdsMayBeLong) => _sleep1Threshold = holdsMayBeLong ? SleepAfterSpins : NeverSleep;

    /// <summary>Takes the gate until the returned scope is disposed, as <c>lock</c> holds a monitor.</summary>
    public Scope Enter()
    {
        if (Interlocked.CompareExchange(ref _busy, 1, 0) != 0)
        {
            EnterContended();
        }

        return new Scope(this);
    }

    private void EnterContended()
    {
        var spinner = default(SpinWait);
        do
        {
            spinner.SpinOnce(_sleep1Threshold);
        }
        while (Volatile.Read(ref _busy) != 0 || Interlocked.CompareExchange(ref _busy, 1, 0) != 0);
    }

    /// <summary>The gate, held until disposed.</summary>
    public readonly ref struct Scope
    {
        private readonly SpinGate _gate;

        internal Scope(SpinGate gate) => _gate = gate;

        /// <summary>Releases the gate.</summary>
        public void Dispose() => Volatile.Write(ref _gate._busy, 0);
    }
}
