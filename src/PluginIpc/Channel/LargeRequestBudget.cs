namespace PluginIpc;

/// <summary>
/// The bytes that running handlers of large requests may hold at once. The handler slots bound how many requests run, not
/// their size: without this, a peer could have 256 handlers each hold a request of the framer's largest size.
/// </summary>
/// <remarks>
/// Only requests over <see cref="LargeBytes"/> take from it, so the small ones that make up the hot path pay one length
/// check; all the small ones together hold at most <see cref="LargeBytes"/> times the handler slots. A request is granted
/// its bytes when they fit, or when no large request holds any (one larger than the budget still runs, alone). Waiters are
/// served in arrival order.
/// </remarks>
internal sealed class LargeRequestBudget
{
    /// <summary>Requests with more body bytes than this take from the budget.</summary>
    public const int LargeBytes = 64 * 1024;

    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private readonly long _maxBytes;
    private long _heldBytes;

    /// <summary>Initializes the budget.</summary>
    /// <param name="maxBytes">How many bytes large requests' handlers may hold at once.</param>
    public LargeRequestBudget(long maxBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxBytes);
        _maxBytes = maxBytes;
    }

    /// <summary>Gets the bytes held now.</summary>
    public long HeldBytes
    {
        get
        {
            lock (_lock)
            {
                return _heldBytes;
            }
        }
    }

    /// <summary>Returns whether a request of <paramref name="bytes"/> body bytes takes from the budget.</summary>
    public static bool IsLarge(int bytes) => bytes > LargeBytes;

    /// <summary>Takes <paramref name="bytes"/> if they fit now and nobody waits before.</summary>
    /// <returns><see langword="true"/> when the caller holds them and must <see cref="Release"/> them.</returns>
    public bool TryTake(long bytes)
    {
        lock (_lock)
        {
            if (_waiters.Count == 0 && Fits(bytes))
            {
                _heldBytes += bytes;
                return true;
            }

            return false;
        }
    }

    /// <summary>Waits until <paramref name="bytes"/> fit, behind the requests that already wait.</summary>
    /// <param name="bytes">The request's body bytes.</param>
    /// <param name="cancellationToken">Stops the wait; the task is then cancelled and holds nothing.</param>
    /// <returns>A task that completes when the caller holds the bytes.</returns>
    public Task WaitAsync(long bytes, CancellationToken cancellationToken)
    {
        if (TryTake(bytes))
        {
            return Task.CompletedTask;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var waiter = new Waiter(this, bytes);
        lock (_lock)
        {
            if (cancellationToken.CanBeCanceled)
            {
                // Under the lock: a grant then always sees the registration, and a token cancelled just now withdraws the
                // waiter here, before it joins the queue (the lock lets its callback in on this thread).
                waiter.Registration = cancellationToken.UnsafeRegister(static (state, token) => ((Waiter)state!).Withdraw(token), waiter);
                if (waiter.Task.IsCompleted)
                {
                    return waiter.Task;
                }
            }

            waiter.Node = _waiters.AddLast(waiter);
            GrantWaiters(); // the holders may have let go since TryTake
        }

        return waiter.Task;
    }

    /// <summary>Gives back <paramref name="bytes"/> taken by <see cref="TryTake"/> or <see cref="WaitAsync"/>, and grants what now fits.</summary>
    public void Release(long bytes)
    {
        lock (_lock)
        {
            _heldBytes -= bytes;
            GrantWaiters();
        }
    }

    private bool Fits(long bytes) => _heldBytes == 0 || _heldBytes + bytes <= _maxBytes;

    private void GrantWaiters()
    {
        while (_waiters.First is { } first && Fits(first.Value.Bytes))
        {
            Waiter waiter = first.Value;
            _waiters.RemoveFirst();
            waiter.Node = null;
            waiter.Granted = true;
            _heldBytes += waiter.Bytes;
            waiter.Registration.Unregister(); // not Dispose: a callback running now waits for this lock
            waiter.TrySetResult(); // continuations run asynchronously: no handler code under the lock
        }
    }

    /// <summary>A request waiting for its bytes.</summary>
    private sealed class Waiter(LargeRequestBudget budget, long bytes) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        public long Bytes { get; } = bytes;

        public LinkedListNode<Waiter>? Node { get; set; }

        public CancellationTokenRegistration Registration { get; set; }

        /// <summary>Gets or sets a value indicating whether the waiter holds its bytes; set under the budget's lock.</summary>
        public bool Granted { get; set; }

        /// <summary>Leaves the queue, unless it was granted first; a waiter that leaves the head may let the next one in.</summary>
        public void Withdraw(CancellationToken token)
        {
            lock (budget._lock)
            {
                if (Granted)
                {
                    return; // it holds the bytes, and its caller releases them
                }

                if (Node is not null)
                {
                    budget._waiters.Remove(Node); // not yet queued when its token was cancelled as it registered
                    Node = null;
                    budget.GrantWaiters();
                }
            }

            TrySetCanceled(token);
        }
    }
}
