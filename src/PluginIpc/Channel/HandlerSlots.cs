namespace PluginIpc;

/// <summary>
/// The limit on concurrently running handlers: a counter that a read loop's inline handlers take and give back with one
/// atomic operation each, and a queue, used only when every slot is taken, for handlers that wait for one on the thread pool.
/// </summary>
/// <remarks>
/// A slot given back while handlers wait goes to the first of them. Givers count the slot first and then look for waiters;
/// waiters join the queue first and then look for slots; both hand out under the lock, so a slot never stays free while a
/// handler waits.
/// </remarks>
internal sealed class HandlerSlots
{
    private readonly Lock _lock = new();
    private readonly LinkedList<Waiter> _waiters = new();
    private int _available;

    // The queue's length, kept apart from _waiters.Count: Release reads it without the lock, and it changes only through
    // Interlocked, so a giver that counted its slot and a waiter that joined the queue cannot both miss each other.
    private int _waiting;

    /// <summary>Initializes the limit.</summary>
    /// <param name="count">How many handlers may run at once.</param>
    public HandlerSlots(int count)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(count);
        _available = count;
    }

    /// <summary>Gets the number of free slots.</summary>
    public int Available => Volatile.Read(ref _available);

    /// <summary>Takes a slot if one is free, without waiting.</summary>
    /// <returns><see langword="true"/> when the caller now holds a slot and must <see cref="Release"/> it.</returns>
    public bool TryTake()
    {
        int available = Volatile.Read(ref _available);
        while (available > 0)
        {
            int seen = Interlocked.CompareExchange(ref _available, available - 1, available);
            if (seen == available)
            {
                return true;
            }

            available = seen;
        }

        return false;
    }

    /// <summary>Waits for a slot, behind the handlers that already wait.</summary>
    /// <param name="cancellationToken">Stops the wait; the task is then cancelled and holds no slot.</param>
    /// <returns>A task that completes when the caller holds a slot.</returns>
    public Task WaitAsync(CancellationToken cancellationToken)
    {
        if (Volatile.Read(ref _waiting) == 0 && TryTake())
        {
            return Task.CompletedTask;
        }

        if (cancellationToken.IsCancellationRequested)
        {
            return Task.FromCanceled(cancellationToken);
        }

        var waiter = new Waiter(this, cancellationToken);
        Waiter? granted;
        lock (_lock)
        {
            if (cancellationToken.CanBeCanceled)
            {
                // Under the lock: a grant then always sees the registration, and a token cancelled just now cancels the
                // waiter here, before it joins the queue (the lock lets its callback in on this thread).
                waiter.Registration = cancellationToken.UnsafeRegister(static state => ((Waiter)state!).Withdraw(), waiter);
                if (waiter.Task.IsCompleted)
                {
                    return waiter.Task;
                }
            }

            waiter.Node = _waiters.AddLast(waiter);
            Interlocked.Increment(ref _waiting);
            granted = TakeFirstWaiterLocked();
        }

        granted?.Grant();
        return waiter.Task;
    }

    /// <summary>Gives a slot back: to the first waiting handler if there is one.</summary>
    public void Release()
    {
        Interlocked.Increment(ref _available);
        if (Volatile.Read(ref _waiting) == 0)
        {
            return;
        }

        Waiter? granted;
        lock (_lock)
        {
            granted = TakeFirstWaiterLocked();
        }

        granted?.Grant();
    }

    /// <summary>Moves a free slot to the first waiter, if there are both.</summary>
    private Waiter? TakeFirstWaiterLocked()
    {
        if (_waiters.First is not { } first || !TryTake())
        {
            return null;
        }

        RemoveLocked(first.Value);
        first.Value.Granted = true;
        return first.Value;
    }

    private void RemoveLocked(Waiter waiter)
    {
        _waiters.Remove(waiter.Node!);
        waiter.Node = null;
        Interlocked.Decrement(ref _waiting);
    }

    /// <summary>A handler waiting for a slot.</summary>
    private sealed class Waiter(HandlerSlots owner, CancellationToken cancellationToken) : TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously)
    {
        /// <summary>Gets or sets its place in the queue; <see langword="null"/> before it joins and after it leaves.</summary>
        public LinkedListNode<Waiter>? Node { get; set; }

        /// <summary>Gets or sets a value indicating whether a slot was taken for it: set under the lock, so a cancel that comes too late sees it.</summary>
        public bool Granted { get; set; }

        /// <summary>Gets or sets the registration that withdraws it when its token is cancelled.</summary>
        public CancellationTokenRegistration Registration { get; set; }

        /// <summary>Completes the wait: the waiter now holds a slot.</summary>
        public void Grant()
        {
            Registration.Dispose();
            TrySetResult();
        }

        /// <summary>Leaves the queue without a slot, because the token was cancelled.</summary>
        public void Withdraw()
        {
            lock (owner._lock)
            {
                if (Granted)
                {
                    return; // The slot is the waiter's already.
                }

                if (Node is not null)
                {
                    owner.RemoveLocked(this);
                }
            }

            TrySetCanceled(cancellationToken);
        }
    }
}
