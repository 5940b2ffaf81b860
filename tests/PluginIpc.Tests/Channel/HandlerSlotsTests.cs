namespace PluginIpc.Tests.Channel;

public sealed class HandlerSlotsTests
{
    [Test]
    public void TryTake_AllSlotsTaken_FailsUntilOneIsReleased()
    {
        var slots = new HandlerSlots(2);

        Assert.That(slots.TryTake(), Is.True);
        Assert.That(slots.TryTake(), Is.True);
        Assert.That(slots.TryTake(), Is.False);
        slots.Release();
        Assert.That(slots.TryTake(), Is.True);
        Assert.That(slots.Available, Is.Zero);
    }

    [Test]
    public void WaitAsync_SlotFree_CompletesAtOnceAndTakesIt()
    {
        var slots = new HandlerSlots(1);

        Task wait = slots.WaitAsync(CancellationToken.None);

        Assert.That(wait.IsCompletedSuccessfully, Is.True);
        Assert.That(slots.Available, Is.Zero);
    }

    [Test, CancelAfter(10_000)]
    public async Task WaitAsync_NoSlotFree_ReleasedSlotsGoToWaitersInOrder(CancellationToken cancellationToken)
    {
        var slots = new HandlerSlots(1);
        Assert.That(slots.TryTake(), Is.True);
        Task first = slots.WaitAsync(cancellationToken);
        Task second = slots.WaitAsync(cancellationToken);
        Assert.That(first.IsCompleted || second.IsCompleted, Is.False);

        slots.Release();
        await first.WaitAsync(cancellationToken);

        Assert.That(second.IsCompleted, Is.False, "one slot was released: only the first waiter gets it");
        Assert.That(slots.TryTake(), Is.False, "the released slot went to the waiter, not back to the pool");
        slots.Release();
        await second.WaitAsync(cancellationToken);
        slots.Release();
        Assert.That(slots.Available, Is.EqualTo(1));
    }

    [Test, CancelAfter(10_000)]
    public async Task WaitAsync_Cancelled_FailsAndTakesNoSlot(CancellationToken cancellationToken)
    {
        var slots = new HandlerSlots(1);
        Assert.That(slots.TryTake(), Is.True);
        using var cancellation = new CancellationTokenSource();
        Task cancelled = slots.WaitAsync(cancellation.Token);
        Task next = slots.WaitAsync(cancellationToken);

        await cancellation.CancelAsync();
        Exception? failure = await Failure.Of(cancelled);
        slots.Release();
        await next.WaitAsync(cancellationToken);

        Assert.That(failure, Is.InstanceOf<OperationCanceledException>());
        Assert.That(slots.Available, Is.Zero, "the slot went past the cancelled waiter to the next one");
        slots.Release();
        Assert.That(slots.Available, Is.EqualTo(1));
    }

    [Test]
    public void WaitAsync_TokenAlreadyCancelled_FailsAtOnceWithoutWaiting()
    {
        var slots = new HandlerSlots(1);
        Assert.That(slots.TryTake(), Is.True);

        Task wait = slots.WaitAsync(new CancellationToken(canceled: true));

        Assert.That(wait.IsCanceled, Is.True);
        slots.Release();
        Assert.That(slots.Available, Is.EqualTo(1));
    }

    [Test, CancelAfter(30_000)]
    public async Task ManyHolders_TakingWaitingAndCancellingAtOnce_NeverExceedTheLimitAndLoseNoSlot(CancellationToken cancellationToken)
    {
        const int Limit = 3;
        var slots = new HandlerSlots(Limit);
        int holding = 0;
        int maxHolding = 0;

        async Task HoldAsync(int worker)
        {
            var random = new Random(worker);
            for (int i = 0; i < 2_000; i++)
            {
                bool taken = random.Next(3) == 0 && slots.TryTake();
                if (!taken)
                {
                    using var timeout = new CancellationTokenSource();
                    Task wait = slots.WaitAsync(timeout.Token);
                    if (random.Next(4) == 0)
                    {
                        timeout.Cancel(); // races with a grant: either the wait fails, or it holds a slot
                    }

                    if (await Failure.Of(wait) is not null)
                    {
                        continue;
                    }
                }

                int now = Interlocked.Increment(ref holding);
                int seen;
                while (now > (seen = Volatile.Read(ref maxHolding)) && Interlocked.CompareExchange(ref maxHolding, now, seen) != seen)
                {
                }

                if (random.Next(2) == 0)
                {
                    await Task.Yield();
                }

                Interlocked.Decrement(ref holding);
                slots.Release();
            }
        }

        await Task.WhenAll(Enumerable.Range(0, 8).Select(worker => Task.Run(() => HoldAsync(worker), cancellationToken))).WaitAsync(cancellationToken);

        Assert.That(maxHolding, Is.LessThanOrEqualTo(Limit));
        Assert.That(slots.Available, Is.EqualTo(Limit), "every slot came back");
    }
}
