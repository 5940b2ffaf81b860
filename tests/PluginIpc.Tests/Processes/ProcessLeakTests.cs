using System.Diagnostics;

namespace PluginIpc.Tests.Processes;

[TestFixture]
[Category("Process")]
public sealed class ProcessLeakTests : ProcessTestBase
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Test, CancelAfter(20_000)]
    public async Task StartAsync_Concurrently_ChildrenShareNoPipeAndEachSeesItsOwnEndOfInput(CancellationToken cancellationToken)
    {
        const int Count = 4;
        HashSet<string> before = ProcFs.PipeInodes(Environment.ProcessId);
        var barrier = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        Task<PluginProcess>[] starts = [.. Enumerable.Range(0, Count).Select(_ => Task.Run(
            async () =>
            {
                await barrier.Task;
                return await StartAsync(TestPlugin.StartInfo(PluginTransport.InheritedPipes, "raw"), cancellationToken);
            },
            cancellationToken))];
        barrier.SetResult();
        PluginProcess[] plugins = await Task.WhenAll(starts);

        // Directly: no child holds a pipe end that another child holds, except those all inherited from the test process.
        HashSet<string>[] held = [.. plugins.Select(p => ProcFs.PipeInodes(p.ProcessId))];
        for (int i = 0; i < Count; i++)
        {
            for (int j = i + 1; j < Count; j++)
            {
                Assert.That(held[i].Intersect(held[j]).Except(before), Is.Empty, $"children {i} and {j} share a pipe");
            }
        }

        // By behavior: closing one plugin's input ends that plugin alone, while its siblings keep running.
        for (int i = 0; i < Count; i++)
        {
            await plugins[i].Output.DisposeAsync();
            Assert.That(await plugins[i].Exited.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(0), plugins[i].StderrTail);
            Assert.That(plugins.Skip(i + 1).Select(p => p.HasExited), Is.All.False);
        }
    }

    // 100 cycles take 6-9 s on 2 cores (about 15 s when two suites run at once); the longer budget is only a margin for slow CI.
    [Test, CancelAfter(60_000)]
    public async Task StartAndStop_HundredCycles_LeaveNoChildrenAndNoDescriptors(CancellationToken cancellationToken)
    {
        // A warm-up cycle lets the runtime create what it keeps for good (signal handling, epoll threads, ...).
        await CycleAsync(graceful: true, cancellationToken);
        int descriptorsBefore = ProcFs.OpenDescriptorCount();
        var pids = new List<int>();
        var watch = Stopwatch.StartNew();

        for (int i = 0; i < 100; i++)
        {
            pids.Add(await CycleAsync(graceful: i % 2 == 0, cancellationToken));
        }

        TestContext.Out.WriteLine($"100 cycles took {watch.Elapsed.TotalSeconds:F1} s");
        Assert.That(pids.Where(pid => ProcFs.ParentOf(pid) == Environment.ProcessId), Is.Empty, "children left behind");
        Assert.That(ProcFs.OpenDescriptorCount(), Is.LessThanOrEqualTo(descriptorsBefore + 5), "descriptors leaked");
        Assert.That(PluginProcess.LiveCount, Is.Zero);
    }

    private async Task<int> CycleAsync(bool graceful, CancellationToken cancellationToken)
    {
        PluginTransport transport = graceful ? PluginTransport.InheritedPipes : PluginTransport.Stdio;
        await using PluginProcess plugin = await StartAsync(TestPlugin.StartInfo(transport, "raw"), cancellationToken);
        if (graceful)
        {
            await plugin.Output.DisposeAsync();
            Assert.That(await plugin.Exited.WaitAsync(s_timeout, cancellationToken), Is.EqualTo(0), plugin.StderrTail);
        }
        else
        {
            await plugin.KillAsync(cancellationToken);
        }

        return plugin.ProcessId;
    }
}
