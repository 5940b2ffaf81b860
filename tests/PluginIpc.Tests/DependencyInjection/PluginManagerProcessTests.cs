using System.Collections.Concurrent;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.DependencyInjection;

[Category("Process")]
public sealed class PluginManagerProcessTests
{
    [Test, CancelAfter(60_000)]
    public async Task GetAsync_FiftyConcurrentFirstUses_StartOneProcessAndShareIt(CancellationToken cancellationToken)
    {
        int created = 0;
        int running = 0;
        var services = NewServices();
        services.AddPlugin("trace", o => TracePlugin.Configure(o)).Setup((plugin, _) =>
        {
            Interlocked.Increment(ref created);
            plugin.StateChanged += (_, e) =>
            {
                if (e.State == PluginState.Running)
                {
                    Interlocked.Increment(ref running);
                }
            };
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        Plugin[] plugins = await Task.WhenAll(Enumerable.Range(0, 50).Select(_ => Task.Run(() => manager.GetAsync("trace", cancellationToken), cancellationToken)));

        Assert.That(plugins.Distinct().Count(), Is.EqualTo(1));
        Assert.That(plugins.Select(p => p.ProcessId).Distinct().Count(), Is.EqualTo(1));
        Assert.That(plugins[0].State, Is.EqualTo(PluginState.Running));
        Assert.That(created, Is.EqualTo(1));
        Assert.That(running, Is.EqualTo(1));
        string[] answers = await Task.WhenAll(plugins.Select(p => p.CallAsync("whoami", "", cancellationToken)));
        Assert.That(answers.Select(a => a.Split('|')[2]).Distinct().Single(), Is.EqualTo(plugins[0].ProcessId.ToString()));
    }

    [Test, CancelAfter(60_000)]
    public async Task DisposeAsync_ServiceProvider_StopsEveryPluginAndLeavesNoProcess(CancellationToken cancellationToken)
    {
        var services = NewServices();
        services.AddPlugin("one", o => TracePlugin.Configure(o));
        services.AddPlugin("two", o => TracePlugin.Configure(o, "text"));
        services.AddPlugin("three", o => TracePlugin.Configure(o)).WithStartMode(StartMode.AtStartup);
        var exits = new ConcurrentBag<PluginExitedEventArgs>();
        ServiceProvider provider = services.BuildServiceProvider();
        int[] pids;
        try
        {
            IPluginManager manager = provider.GetRequiredService<IPluginManager>();
            await manager.StartAsync(cancellationToken);
            Plugin[] plugins = [await manager.GetAsync("one", cancellationToken), await manager.GetAsync("two", cancellationToken), await manager.GetAsync("three", cancellationToken)];
            foreach (Plugin plugin in plugins)
            {
                plugin.Exited += (_, e) => exits.Add(e);
            }

            pids = [.. plugins.Select(p => p.ProcessId!.Value)];
            Assert.That(pids, Has.All.Matches<int>(ProcFs.IsAlive));
        }
        finally
        {
            await provider.DisposeAsync();
        }

        Assert.That(pids, Has.None.Matches<int>(ProcFs.IsAlive));
        Assert.That(exits.Select(e => (e.ExitCode, e.Expected)), Is.EquivalentTo(Enumerable.Repeat((0, true), 3)), "each plugin was asked to stop and exited by itself");
    }

    [Test, CancelAfter(60_000)]
    public async Task Dispose_SyncServiceProvider_StopsEveryPlugin(CancellationToken cancellationToken)
    {
        var services = NewServices();
        services.AddPlugin("one", o => TracePlugin.Configure(o));
        services.AddPlugin("two", o => TracePlugin.Configure(o));
        ServiceProvider provider = services.BuildServiceProvider();
        int[] pids;
        try
        {
            IPluginManager manager = provider.GetRequiredService<IPluginManager>();
            pids = [(await manager.GetAsync("one", cancellationToken)).ProcessId!.Value, (await manager.GetAsync("two", cancellationToken)).ProcessId!.Value];
        }
        finally
        {
            provider.Dispose();
        }

        Assert.That(pids, Has.None.Matches<int>(ProcFs.IsAlive));
    }

    [Test, CancelAfter(60_000)]
    public async Task GetAsync_AfterCrashWithRestartPolicy_SameInstanceKeepsWorking(CancellationToken cancellationToken)
    {
        var services = NewServices();
        services.AddPlugin("trace", o =>
        {
            TracePlugin.Configure(o);
            o.RestartPolicy = new RestartPolicy { MaxRestarts = 2, InitialDelay = TimeSpan.Zero };
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();
        Plugin plugin = await manager.GetAsync("trace", cancellationToken);
        int firstPid = plugin.ProcessId!.Value;
        var restarted = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.StateChanged += (_, e) =>
        {
            if (e.PreviousState == PluginState.Restarting && e.State == PluginState.Running)
            {
                restarted.TrySetResult();
            }
        };

        await Failure.CatchAsync<PluginIpcException>(() => plugin.CallAsync("crash", "", cancellationToken));
        await restarted.Task.WaitAsync(cancellationToken);
        Plugin again = await manager.GetAsync("trace", cancellationToken);

        Assert.That(again, Is.SameAs(plugin));
        Assert.That(again.RestartCount, Is.EqualTo(1));
        Assert.That(again.ProcessId, Is.Not.EqualTo(firstPid));
        Assert.That((await again.CallAsync("whoami", "", cancellationToken)).Split('|')[2], Is.EqualTo(again.ProcessId.ToString()));
    }

    [Test, CancelAfter(60_000)]
    public async Task GetAsync_PluginExitsAtStart_ThrowsPluginStartExceptionWithItsStderr(CancellationToken cancellationToken)
    {
        var services = NewServices();
        services.AddPlugin("exits", o =>
        {
            o.ExecutablePath = TestPlugin.DotnetPath;
            o.Arguments.Add("exec");
            o.Arguments.Add(TestPlugin.DllPath);
            o.Arguments.Add("exit");
            o.Arguments.Add("4");
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();

        var ex = await Failure.ThrowsAsync<PluginStartException>(() => manager.GetAsync("exits", cancellationToken));

        Assert.That(ex!.Message, Does.Contain("exiting with 4"));
    }

    private static ServiceCollection NewServices()
    {
        var services = new ServiceCollection();
        services.AddPluginIpc(o => o.PluginFolders.Clear());
        return services;
    }
}
