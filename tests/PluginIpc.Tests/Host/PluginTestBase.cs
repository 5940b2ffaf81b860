using System.Diagnostics;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.Host;

/// <summary>
/// Base of the fixtures that start plugins through <see cref="Plugin"/>: every plugin a test creates is disposed in teardown,
/// and every plugin process it saw (also frozen or orphaned ones) is thawed and killed, even when the test fails.
/// </summary>
public abstract class PluginTestBase : ProcessTestBase
{
    private static readonly TimeSpan s_stopBound = TimeSpan.FromSeconds(10);
    private readonly List<Plugin> _plugins = [];
    private readonly HashSet<int> _pids = [];

    /// <summary>Creates a plugin that teardown disposes, and remembers the id of every process it runs.</summary>
    internal Plugin CreatePlugin(PluginOptions options)
    {
        var plugin = new Plugin(options);
        plugin.StateChanged += (_, e) =>
        {
            if (e.State == PluginState.Running && plugin.ProcessId is { } pid)
            {
                TrackPid(pid);
            }
        };
        lock (_plugins)
        {
            _plugins.Add(plugin);
        }

        return plugin;
    }

    /// <summary>Remembers a process id that teardown must make sure is gone.</summary>
    internal void TrackPid(int pid)
    {
        lock (_pids)
        {
            _pids.Add(pid);
        }
    }

    /// <summary>Waits until <paramref name="pid"/> is no longer alive, checking <c>/proc</c> on a timer.</summary>
    /// <returns><see langword="false"/> if it still lives after <paramref name="timeout"/>.</returns>
    internal static async Task<bool> WaitUntilGoneAsync(int pid, TimeSpan timeout, CancellationToken cancellationToken)
    {
        // Not necessarily our child, so nothing notifies us of its death: poll, bounded by the timeout.
        using var timer = new PeriodicTimer(TimeSpan.FromMilliseconds(20));
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(timeout);
        try
        {
            while (ProcFs.IsAlive(pid))
            {
                await timer.WaitForNextTickAsync(deadline.Token);
            }

            return true;
        }
        catch (OperationCanceledException) when (!cancellationToken.IsCancellationRequested)
        {
            return !ProcFs.IsAlive(pid);
        }
    }

    /// <summary>Returns a task that completes with the state changes up to and including the first one to <paramref name="state"/>.</summary>
    internal static Task<IReadOnlyList<PluginState>> WhenStateAsync(Plugin plugin, PluginState state, CancellationToken cancellationToken)
    {
        var seen = new List<PluginState>();
        var reached = new TaskCompletionSource<IReadOnlyList<PluginState>>(TaskCreationOptions.RunContinuationsAsynchronously);
        plugin.StateChanged += (_, e) =>
        {
            lock (seen)
            {
                if (reached.Task.IsCompleted)
                {
                    return;
                }

                seen.Add(e.State);
                if (e.State == state)
                {
                    reached.TrySetResult([.. seen]);
                }
            }
        };
        return reached.Task.WaitAsync(cancellationToken);
    }

    /// <summary>
    /// Starts TestPlugin's <c>plugin-host</c> mode with <paramref name="arguments"/> (framer, transport, plugin and its arguments),
    /// waits for the plugin's process id it reports, and returns both; fails the test if the host never reports one.
    /// </summary>
    internal async Task<(Process Host, int PluginPid)> StartPluginHostAsync(string[] arguments, TimeSpan timeout, CancellationToken cancellationToken)
    {
        Process host = StartRaw(TestPlugin.RawStartInfo(["plugin-host", .. arguments]));
        host.StandardInput.Close();
        Task<string> stdout = host.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = new System.Text.StringBuilder();
        while (await host.StandardError.ReadLineAsync(cancellationToken).AsTask().WaitAsync(timeout, cancellationToken) is { } line)
        {
            stderr.AppendLine(line);
            if (line.StartsWith("plugin ", StringComparison.Ordinal))
            {
                int pid = int.Parse(line["plugin ".Length..], System.Globalization.CultureInfo.InvariantCulture);
                TrackPid(pid);
                return (host, pid);
            }
        }

        Assert.Fail($"the host did not start the plugin: {stderr}{await stdout.WaitAsync(timeout, cancellationToken)}");
        return (host, 0);
    }

    /// <summary>Returns the first <typeparamref name="T"/> in <paramref name="exception"/>'s chain of inner exceptions.</summary>
    internal static T? Find<T>(Exception? exception)
        where T : Exception
    {
        for (; exception is not null; exception = exception.InnerException)
        {
            if (exception is T match)
            {
                return match;
            }
        }

        return null;
    }

    [TearDown]
    public async Task DisposePluginsAsync()
    {
        int[] pids;
        lock (_pids)
        {
            pids = [.. _pids];
            _pids.Clear();
        }

        // A frozen plugin cannot answer cmd.stop: thaw everything first.
        foreach (int pid in pids)
        {
            Signals.Send(pid, Signals.Continue);
        }

        Plugin[] plugins;
        lock (_plugins)
        {
            plugins = [.. _plugins];
            _plugins.Clear();
        }

        foreach (Plugin plugin in plugins)
        {
            // A plugin on a fake clock would wait out its stop timeout forever: bound the stop on the real clock.
            using var stopBound = new CancellationTokenSource(s_stopBound);
            await plugin.StopAsync(stopBound.Token);
        }

        foreach (int pid in pids)
        {
            if (ProcFs.IsAlive(pid))
            {
                TestContext.Out.WriteLine($"teardown: process {pid} was still alive; killing it");
                try
                {
                    using var process = Process.GetProcessById(pid);
                    process.Kill(entireProcessTree: true);
                }
                catch (ArgumentException)
                {
                    // Gone meanwhile.
                }
            }
        }
    }
}
