using System.Diagnostics;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.Host;

/// <summary>
/// A host driving plugins that misbehave on purpose (TestPlugin's <c>hostile</c> modes): its memory stays bounded, and what
/// its callers see names the first cause.
/// </summary>
[TestFixture]
[Category("Process")]
public sealed class HostilePluginTests : PluginTestBase
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    [Test, CancelAfter(30_000)]
    public async Task GarbageAsTheHandshakeAnswer_StartFailsNamingTheProtocolError(CancellationToken cancellationToken)
    {
        await using Plugin plugin = CreatePlugin(HostileOptions("garbage-at-start"));
        Task<Exception?> failedReason = WhenFailedAsync(plugin, cancellationToken);

        PluginStartException error = await Failure.ThrowsAsync<PluginStartException>(() => plugin.StartAsync(cancellationToken));

        ProtocolException? protocolError = Find<ProtocolException>(error);
        Assert.That(protocolError, Is.Not.Null, error.ToString());
        AssertNamesFirst(error.Message, protocolError!.Message, "exited with code");
        Assert.That(Find<PluginExitedException>(error)?.StderrTail, Does.Contain("wrote garbage"), error.ToString());
        AssertNamesFirst((await failedReason)!.Message, protocolError.Message, "exited with code");
    }

    [Test, CancelAfter(30_000)]
    public async Task GarbageInsteadOfAnAnswer_CallerGetsTheProtocolErrorWithTheExit(CancellationToken cancellationToken)
    {
        await using Plugin plugin = CreatePlugin(HostileOptions("garbage-on-request"));
        Task<Exception?> failedReason = WhenFailedAsync(plugin, cancellationToken);
        await plugin.StartAsync(cancellationToken);

        ChannelClosedException error = await Failure.CatchAsync<ChannelClosedException>(() => plugin.CallAsync("anything", "x", cancellationToken));

        ProtocolException? protocolError = Find<ProtocolException>(error);
        Assert.That(protocolError, Is.Not.Null, error.ToString());
        AssertNamesFirst(error.Message, protocolError!.Message, "exited with code 0");
        PluginExitedException? exited = Find<PluginExitedException>(error);
        Assert.That(exited?.ExitCode, Is.Zero, error.ToString());
        Assert.That(exited!.StderrTail, Does.Contain("wrote garbage"));
        AssertNamesFirst((await failedReason)!.Message, protocolError.Message, "exited with code 0");
    }

    [Test, CancelAfter(30_000)]
    public async Task PluginStopsReading_PendingCallFailsWithTheUnansweredPing(
        [Values(16, 4 * 1024 * 1024)] int requestBytes, CancellationToken cancellationToken)
    {
        // A request larger than the pipe blocks the host's writer, so the pings cannot even go out; a small one goes out
        // and is never read. Either way the first cause is the unanswered ping, not the broken pipe of the kill.
        // The pings run on a fake clock: the test moves it past the interval and then the timeout, with no real wait.
        var clock = new FakeClock();
        PluginOptions options = HostileOptions("stop-reading");
        options.PingInterval = TimeSpan.FromMilliseconds(200);
        options.PingTimeout = TimeSpan.FromMilliseconds(500);
        options.TimeProvider = clock;
        using var logs = new CapturingLoggerFactory();
        options.LoggerFactory = logs;
        await using Plugin plugin = CreatePlugin(options);
        Task<Exception?> failedReason = WhenFailedAsync(plugin, cancellationToken);
        await plugin.StartAsync(cancellationToken);

        // Fake time would otherwise kill the plugin before its stderr line reached the host: wait for the line first.
        await logs.WaitForAsync(e => e.Message.Contains("stopped reading", StringComparison.Ordinal), cancellationToken).WaitAsync(s_timeout, cancellationToken);
        Task<ChannelClosedException> failing = Failure.CatchAsync<ChannelClosedException>(
            () => plugin.CallAsync("anything", new byte[requestBytes], cancellationToken));
        await clock.AdvanceWhenArmedAsync(options.PingInterval, s_timeout, cancellationToken);
        await clock.AdvanceWhenArmedAsync(options.PingTimeout, s_timeout, cancellationToken);
        ChannelClosedException error = await failing.WaitAsync(s_timeout, cancellationToken);

        Assert.That(error.Message, Does.Contain("did not answer a ping within 00:00:00.5000000"), error.ToString());
        Assert.That(error.Message, Does.Not.Contain("Broken pipe").And.Not.Contain("canceled"), error.ToString());
        Assert.That(Find<PluginExitedException>(error)?.ExitCode, Is.Not.Null.And.Not.Zero, error.ToString());
        Assert.That(Find<PluginExitedException>(error)!.StderrTail, Does.Contain("stopped reading"));
        Assert.That((await failedReason)!.Message, Does.StartWith("Plugin 'Hostile' did not answer a ping"));
    }

    [Test, CancelAfter(60_000)]
    public async Task StopAsync_PluginStoppedReadingWithItsPipeFull_IsKilledWithinTheStopTimeout(CancellationToken cancellationToken)
    {
        // The host's writer is past its cap, so cmd.stop waits for room that never comes: the stop must still end, by a kill.
        PluginOptions options = HostileOptions("stop-reading");
        options.StopTimeout = TimeSpan.FromSeconds(1);
        using var logs = new CapturingLoggerFactory();
        options.LoggerFactory = logs;
        Plugin plugin = CreatePlugin(options);
        int pid = 0;
        try
        {
            await plugin.StartAsync(cancellationToken);
            pid = plugin.ProcessId!.Value;
            await logs.WaitForAsync(e => e.Message.Contains("stopped reading", StringComparison.Ordinal), cancellationToken).WaitAsync(s_timeout, cancellationToken);
            for (int i = 0; i < 8; i++)
            {
                // Each times out, its 1 MiB still queued in the writer: 8 MiB against a pipe of 64 KiB and a cap of 4 MiB.
                await Failure.CatchAsync<TimeoutException>(() => plugin.CallAsync("anything", new byte[1024 * 1024], TimeSpan.FromMilliseconds(100), cancellationToken));
            }

            await plugin.StopAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);

            Assert.That(plugin.State, Is.EqualTo(PluginState.Stopped));
            Assert.That(ProcFs.IsAlive(pid), Is.False, "the plugin was killed");
        }
        finally
        {
            if (pid != 0 && ProcFs.IsAlive(pid))
            {
                System.Diagnostics.Process.GetProcessById(pid).Kill(entireProcessTree: true); // the stop hung: do not leave it running
            }
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task OneWayFlood_ToASlowHandler_HostMemoryStaysBounded(CancellationToken cancellationToken)
    {
        // The plugin sends 200-byte one-way messages as fast as its pipe takes them, to a handler that takes 10 ms each.
        // Unbounded, a second of that queued about 100 MB here; the backlog limit (1,024 by default) holds it to well under 1 MB.
        const int Handled = 100;
        long before = GC.GetTotalMemory(forceFullCollection: true);
        await using Plugin plugin = CreatePlugin(HostileOptions("flood-oneway"));
        int handled = 0;
        var enough = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.Handle("note", async (_, _, token) =>
        {
            await Task.Delay(10, token);
            if (Interlocked.Increment(ref handled) == Handled)
            {
                enough.TrySetResult();
            }

            return ReadOnlyMemory<byte>.Empty;
        });
        await plugin.StartAsync(cancellationToken);
        await plugin.CallAsync("flood", "go", cancellationToken);

        await enough.Task.WaitAsync(s_timeout, cancellationToken);
        long grown = GC.GetTotalMemory(forceFullCollection: true) - before;

        Assert.That(grown, Is.LessThan(16L * 1024 * 1024), $"the host's live memory grew by {grown:N0} bytes while {Handled} messages were handled");
    }

    [Test, CancelAfter(30_000)]
    public async Task SynchronousDispose_OnThePluginsReadThread_IsPrompt([Values] bool ofTheProvider, CancellationToken cancellationToken)
    {
        // The continuation of a call may run on the thread that reads the plugin's output; a synchronous dispose there must
        // not wait for the read loop it is blocking.
        var services = new ServiceCollection();
        services.AddPluginIpc(o => o.PluginFolders.Clear());
        services.AddPlugin("echo", o =>
        {
            PluginOptions echo = EchoPluginFixture.Options("text", PluginTransport.InheritedPipes);
            o.ExecutablePath = echo.ExecutablePath;
            foreach (string argument in echo.Arguments)
            {
                o.Arguments.Add(argument);
            }
        });
        ServiceProvider provider = services.BuildServiceProvider();
        try
        {
            Plugin plugin = await provider.GetRequiredService<IPluginManager>().GetAsync("echo", cancellationToken);
            TrackPid(plugin.ProcessId!.Value);
            (string? thread, TimeSpan took) = await plugin.CallAsync("echo", "x", cancellationToken).ContinueWith(
                _ =>
                {
                    var watch = Stopwatch.StartNew();
                    if (ofTheProvider)
                    {
                        provider.Dispose();
                    }
                    else
                    {
                        plugin.DisposeAsync().AsTask().GetAwaiter().GetResult();
                    }

                    return (Thread.CurrentThread.Name, watch.Elapsed);
                },
                cancellationToken,
                TaskContinuationOptions.ExecuteSynchronously,
                TaskScheduler.Default);

            Assert.That(thread, Is.EqualTo("PluginIpc plugin output"), "the continuation ran on the plugin's read thread");
            Assert.That(took, Is.LessThan(TimeSpan.FromMilliseconds(800)), "the synchronous dispose waited for the read loop it blocked");
            Assert.That(plugin.State, Is.EqualTo(PluginState.Stopped));
        }
        finally
        {
            await provider.DisposeAsync();
        }
    }

    private static PluginOptions HostileOptions(string behaviour)
    {
        var options = new PluginOptions
        {
            Name = "Hostile",
            ExecutablePath = TestPlugin.DotnetPath,
            PingInterval = Timeout.InfiniteTimeSpan,
            StartTimeout = s_timeout,
        };
        foreach (string argument in (string[])["exec", TestPlugin.DllPath, "hostile", behaviour])
        {
            options.Arguments.Add(argument);
        }

        return options;
    }

    /// <summary>Returns the reason given with the plugin's move to <see cref="PluginState.Failed"/>.</summary>
    private static Task<Exception?> WhenFailedAsync(Plugin plugin, CancellationToken cancellationToken)
    {
        var failed = new TaskCompletionSource<Exception?>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.StateChanged += (_, e) =>
        {
            if (e.State == PluginState.Failed)
            {
                failed.TrySetResult(e.Error);
            }
        };
        return failed.Task.WaitAsync(s_timeout, cancellationToken);
    }

    /// <summary>Asserts that <paramref name="message"/> says <paramref name="cause"/> before it mentions <paramref name="consequence"/>, if it does.</summary>
    private static void AssertNamesFirst(string message, string cause, string consequence)
    {
        int causeAt = message.IndexOf(cause, StringComparison.Ordinal);
        int consequenceAt = message.IndexOf(consequence, StringComparison.Ordinal);
        Assert.That(causeAt, Is.GreaterThanOrEqualTo(0), $"the message does not name the cause '{cause}': {message}");
        Assert.That(consequenceAt < 0 || causeAt < consequenceAt, Is.True, $"the message names '{consequence}' before the cause '{cause}': {message}");
    }
}
