namespace PluginIpc;

/// <summary>
/// Counts the threads of a stream's own that wait for work on its monitor, and lets them end once idle for a while. Every
/// member is called with that monitor held.
/// </summary>
internal struct IdleThreads
{
    private static readonly TimeSpan s_lifetime = TimeSpan.FromSeconds(30);

    private int _count;

    /// <summary>Wakes an idle thread for work just requested.</summary>
    /// <param name="gate">The monitor the threads wait on.</param>
    /// <returns>Whether no thread was idle: the caller then starts one, once it has released the monitor.</returns>
    public bool Wake(object gate)
    {
        Monitor.Pulse(gate);
        return _count == 0;
    }

    /// <summary>Waits, as an idle thread, until <paramref name="requested"/> is set.</summary>
    /// <param name="gate">The monitor the threads wait on.</param>
    /// <param name="requested">The owner's flag for work waiting to be taken.</param>
    /// <param name="stopped">The owner's flag for being disposed.</param>
    /// <returns><see langword="false"/> when <paramref name="stopped"/> is set, or no work came for a while: the thread ends.</returns>
    public bool WaitForWork(object gate, ref bool requested, ref bool stopped)
    {
        _count++;
        try
        {
            while (!requested)
            {
                // Work that came just as the wait timed out is still taken: its requester counted this thread as idle.
                if (stopped || !Monitor.Wait(gate, s_lifetime) && !requested)
                {
                    return false;
                }
            }

            return true;
        }
        finally
        {
            _count--;
        }
    }
}
