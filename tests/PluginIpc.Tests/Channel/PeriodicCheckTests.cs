namespace PluginIpc.Tests.Channel;

[TestFixture]
public sealed class PeriodicCheckTests
{
    [Test, CancelAfter(10_000)]
    public async Task Arm_RunsTheCheckOnTheCheckThreadNotThePool_UntilNothingIsLeftToWatch(CancellationToken cancellationToken)
    {
        int runsLeft = 3;
        var threads = new List<(bool Pool, string? Name)>();
        var stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var check = new PeriodicCheck(
            TimeSpan.FromMilliseconds(10),
            () =>
            {
                lock (threads)
                {
                    threads.Add((Thread.CurrentThread.IsThreadPoolThread, Thread.CurrentThread.Name));
                }

                if (Interlocked.Decrement(ref runsLeft) == 0)
                {
                    stopped.TrySetResult();
                }
            },
            () => Volatile.Read(ref runsLeft) > 0);

        check.Arm();
        await stopped.Task.WaitAsync(cancellationToken);

        // A busy channel's checks must not wake the thread pool: its workers then spin between the channel's reads.
        Assert.That(threads, Has.Count.EqualTo(3));
        Assert.That(threads, Has.All.EqualTo((false, "PluginIpc checks")));

        // Inactive, the check stopped; armed again, it runs again.
        Volatile.Write(ref runsLeft, 1);
        stopped = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        check.Arm();
        await stopped.Task.WaitAsync(cancellationToken);
        Assert.That(threads, Has.Count.EqualTo(4));
    }

    [Test, CancelAfter(10_000)]
    public async Task Arm_ACheckWithAShorterPeriod_IsNotHeldUpByALongerOneArmedBefore(CancellationToken cancellationToken)
    {
        using var slow = new PeriodicCheck(TimeSpan.FromSeconds(30), () => { }, () => true);
        slow.Arm();
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var quick = new PeriodicCheck(TimeSpan.FromMilliseconds(20), () => ran.TrySetResult(), () => false);

        // The thread sleeps until the slow check is due, or until a check due sooner is armed: it must be woken for that one.
        quick.Arm();
        await ran.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
    }
}
