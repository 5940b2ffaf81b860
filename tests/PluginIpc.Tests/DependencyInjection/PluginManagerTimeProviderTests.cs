using Microsoft.Extensions.DependencyInjection;

namespace PluginIpc.Tests.DependencyInjection;

/// <summary>A <see cref="TimeProvider"/> registered in the application's services is the clock of the plugins the manager starts.</summary>
[Category("Process")]
public sealed class PluginManagerTimeProviderTests
{
    [Test, CancelAfter(60_000)]
    public async Task GetAsync_ApplicationRegisteredAFakeClock_RestartBackoffWaitsOnIt(CancellationToken cancellationToken)
    {
        TimeSpan backoff = TimeSpan.FromMinutes(10); // on the real clock, the restart would not come within the test's time
        var clock = new FakeClock();
        var services = new ServiceCollection();
        services.AddSingleton<TimeProvider>(clock);
        services.AddPluginIpc(o => o.PluginFolders.Clear());
        services.AddPlugin("clocked", o =>
        {
            TracePlugin.Configure(o);
            o.PingInterval = Timeout.InfiniteTimeSpan;
            o.RestartPolicy = new RestartPolicy { MaxRestarts = 1, InitialDelay = backoff, MaxDelay = backoff };
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        Plugin plugin = await provider.GetRequiredService<IPluginManager>().GetAsync("clocked", cancellationToken);
        var running = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.StateChanged += (_, e) =>
        {
            if (e.State == PluginState.Running)
            {
                running.TrySetResult();
            }
        };

        await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("crash", "", cancellationToken));
        await clock.AdvanceWhenArmedAsync(backoff, TimeSpan.FromSeconds(15), cancellationToken);

        await running.Task.WaitAsync(TimeSpan.FromSeconds(20), cancellationToken);
        Assert.That(plugin.RestartCount, Is.EqualTo(1));
    }
}
