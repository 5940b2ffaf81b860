using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <content>The registry of live plugin processes, killed when the host exits without stopping them.</content>
internal sealed partial class PluginProcess
{
    private static readonly ConcurrentDictionary<PluginProcess, byte> s_live = new();
    private static int s_exitHookRegistered;

    /// <summary>Gets the number of started plugin processes that have neither exited nor been disposed.</summary>
    internal static int LiveCount => s_live.Count;

    /// <summary>Makes sure the plugins still running when the host exits normally are killed.</summary>
    internal static void EnsureExitHook()
    {
        if (Interlocked.Exchange(ref s_exitHookRegistered, 1) == 0)
        {
            AppDomain.CurrentDomain.ProcessExit += (_, _) => KillOrphans();
        }
    }

    private static void Track(PluginProcess plugin) => s_live.TryAdd(plugin, 0);

    private static void Untrack(PluginProcess plugin) => s_live.TryRemove(plugin, out _);

    private static void KillOrphans()
    {
        var marks = new List<LaunchMark>();
        ILogger? logger = null;
        foreach (PluginProcess plugin in s_live.Keys)
        {
            if (plugin.HasExited)
            {
                continue;
            }

            try
            {
                ProcessesLog.OrphanKilled(plugin._logger, plugin.ProcessId);
            }
#pragma warning disable CA1031 // The host is exiting: a logger that was already disposed must not stop the kills.
            catch (Exception)
#pragma warning restore CA1031
            {
            }

            plugin.Kill(log: false);
            if (plugin._leftoverMark is { } mark)
            {
                marks.Add(mark);
                logger ??= plugin._logger;
            }
        }

        // Now, not once the exits are seen: the host is exiting. Those that left the trees (detached) die too. An exit
        // handler cannot await: the sweep's own thread is waited for, and not long (a read of /proc can block).
        if (marks.Count > 0)
        {
            LeftoverProcesses.KillAsync(marks, logger!).Wait(TimeSpan.FromSeconds(2));
        }
    }
}
