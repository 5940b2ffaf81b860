namespace PluginIpc.Tests.Internal;

public sealed class SpinGateTests
{
    [TestCase(false)]
    [TestCase(true)]
    public void Enter_ManyThreadsAtOnce_OneHoldsTheGateAtATime(bool holdsMayBeLong)
    {
        const int Threads = 4;
        const int Rounds = 20_000;
        var gate = new SpinGate(holdsMayBeLong);
        using var start = new Barrier(Threads);
        int inside = 0;
        int mostInside = 0;
        long total = 0; // not atomic: the gate alone keeps the increments apart

        Thread[] workers = Enumerable.Range(0, Threads).Select(_ => new Thread(() =>
        {
            start.SignalAndWait();
            for (int i = 0; i < Rounds; i++)
            {
                using (gate.Enter())
                {
                    int now = Interlocked.Increment(ref inside);
                    mostInside = Math.Max(mostInside, now);
                    total++;
                    Thread.SpinWait(20); // a critical section long enough for the others to try the gate meanwhile
                    Interlocked.Decrement(ref inside);
                }
            }
        })).ToArray();
        foreach (Thread worker in workers)
        {
            worker.Start();
        }

        foreach (Thread worker in workers)
        {
            Assert.That(worker.Join(TimeSpan.FromSeconds(30)), Is.True);
        }

        Assert.That(mostInside, Is.EqualTo(1), "never two holders at once");
        Assert.That(total, Is.EqualTo((long)Threads * Rounds), "no increment lost");
    }

    [Test, CancelAfter(30_000)]
    public async Task Enter_WhileHeldLong_WaitsAndThenGetsIt()
    {
        var gate = new SpinGate(holdsMayBeLong: true);
        using var held = new ManualResetEventSlim();
        using var release = new ManualResetEventSlim();
        var holder = new Thread(() =>
        {
            using (gate.Enter())
            {
                held.Set();
                release.Wait(); // a holder busy for a long time, as one copying megabytes is
            }
        });
        holder.Start();
        Assert.That(held.Wait(TimeSpan.FromSeconds(10)), Is.True);

        var waiting = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<bool> waiter = Task.Run(() =>
        {
            waiting.SetResult();
            using (gate.Enter())
            {
                return release.IsSet; // only after the holder let go
            }
        });
        await waiting.Task;
        Assert.That(waiter.IsCompleted, Is.False, "the gate is still held");

        release.Set();
        Assert.That(await waiter.WaitAsync(TimeSpan.FromSeconds(10)), Is.True, "the waiter got in after the holder let go, not before");
        Assert.That(holder.Join(TimeSpan.FromSeconds(10)), Is.True);
    }
}
