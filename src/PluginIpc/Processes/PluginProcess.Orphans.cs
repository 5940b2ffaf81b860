using System.Collections.Concurrent;

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
                // Now, not once the exit is seen: the host is exiting. Those that left the tree (detached) die too.
                try
                {
                    LeftoverProcesses.Kill(mark, plugin.ProcessId, plugin._logger);
                }
#pragma warning disable CA1031 // The host is exiting: a logger that was already disposed must not stop the kills.
                catch (Exception)
#pragma warning restore CA1031
                {
                }
            }
        }
    }
}
