namespace PluginIpc.Tests.Internal;

/// <summary>
/// Each test stores its own item type: a <see cref="RecyclePool{T}"/> is process-wide per type, so no other test, and
/// none of the library's own pools, can reach these.
/// </summary>
public sealed class RecyclePoolTests
{
    [Test]
    public void TryRent_AfterTryReturnOnTheSameThread_GivesTheSameObject()
    {
        var item = new SameThreadItem();

        Assert.That(RecyclePool<SameThreadItem>.TryReturn(item), Is.True);
        Assert.That(RecyclePool<SameThreadItem>.TryRent(out SameThreadItem? rented), Is.True);
        Assert.That(rented, Is.SameAs(item));
        Assert.That(RecyclePool<SameThreadItem>.TryRent(out _), Is.False, "nothing else was stored");
    }

    [Test]
    public void TryReturn_PastTheSpareAndTheSharedLimit_RefusesAndKeepsEveryStoredObjectOnce()
    {
        int stored = RecyclePool<FullItem>.MaxShared + 2; // The thread's spare, the shared spare, then the shared queue.
        var items = new List<FullItem>();
        for (int i = 0; i < stored; i++)
        {
            var item = new FullItem();
            items.Add(item);
            Assert.That(RecyclePool<FullItem>.TryReturn(item), Is.True, $"item {i}");
        }

        Assert.That(RecyclePool<FullItem>.TryReturn(new FullItem()), Is.False, "the store is full");

        var rented = new HashSet<FullItem>(ReferenceEqualityComparer.Instance);
        while (RecyclePool<FullItem>.TryRent(out FullItem? item))
        {
            Assert.That(rented.Add(item), Is.True, "no object is handed out twice");
        }

        Assert.That(rented, Is.EquivalentTo(items));
        Assert.That(RecyclePool<FullItem>.TryReturn(new FullItem()), Is.True, "renting made room again");
    }

    [Test]
    public void TryRent_OnAnotherThread_GetsTheSharedObjectsButNotTheReturningThreadsSpare()
    {
        var spare = new OtherThreadItem();
        var shared = new OtherThreadItem();
        RunOnNewThread(() =>
        {
            RecyclePool<OtherThreadItem>.TryReturn(spare);
            RecyclePool<OtherThreadItem>.TryReturn(shared);
        });

        OtherThreadItem? first = null;
        bool second = true;
        RunOnNewThread(() =>
        {
            RecyclePool<OtherThreadItem>.TryRent(out first);
            second = RecyclePool<OtherThreadItem>.TryRent(out _);
        });

        Assert.That(first, Is.SameAs(shared));
        Assert.That(second, Is.False, "the first thread's spare stays with that thread");
    }

    private static void RunOnNewThread(Action action)
    {
        Exception? failure = null;
        var thread = new Thread(() =>
        {
            try
            {
                action();
            }
            catch (Exception ex)
            {
                failure = ex;
            }
        });
        thread.Start();
        Assert.That(thread.Join(TimeSpan.FromSeconds(10)), Is.True);
        Assert.That(failure, Is.Null);
    }

    private sealed class SameThreadItem;

    private sealed class FullItem;

    private sealed class OtherThreadItem;
}
