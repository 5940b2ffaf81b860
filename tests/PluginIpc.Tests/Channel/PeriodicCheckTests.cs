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
    public async Task Arm_TheFirstArmersExecutionContextDoesNotFlowToTheCheckThread(CancellationToken cancellationToken)
    {
        // The thread lives as long as the process: what the first caller had in context (an activity, a scope) must not.
        var thread = new CheckThread();
        var seen = new TaskCompletionSource<string?>(TaskCreationOptions.RunContinuationsAsynchronously);
        var local = new AsyncLocal<string>();
        using var check = new PeriodicCheck(TimeSpan.FromMilliseconds(10), () => seen.TrySetResult(local.Value), () => false, thread);

        local.Value = "the first caller's";
        check.Arm();
        local.Value = null!;

        Assert.That(await seen.Task.WaitAsync(cancellationToken), Is.Null);
    }

    [Test, CancelAfter(10_000)]
    public async Task Arm_ACheckWithAShorterPeriod_IsNotHeldUpByALongerOneArmedBefore(CancellationToken cancellationToken)
    {
        // A thread of its own: the process's also runs the 25 ms checks of other tests' channels, which would wake it anyway.
        var thread = new CheckThread();
        using var slow = new PeriodicCheck(TimeSpan.FromSeconds(30), () => { }, () => true, thread);
        slow.Arm();

        // A first quick check runs once and stops: the thread then goes to sleep until the slow check is due.
        var probed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var probe = new PeriodicCheck(TimeSpan.FromMilliseconds(10), () => probed.TrySetResult(), () => false, thread);
        probe.Arm();
        await probed.Task.WaitAsync(cancellationToken);

        // Armed while it sleeps, a check due sooner must wake it.
        var ran = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        using var quick = new PeriodicCheck(TimeSpan.FromMilliseconds(20), () => ran.TrySetResult(), () => false, thread);
        quick.Arm();
        await ran.Task.WaitAsync(TimeSpan.FromSeconds(5), cancellationToken);
    }
}
