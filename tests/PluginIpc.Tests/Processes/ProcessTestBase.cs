using System.Diagnostics;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Abstractions;

namespace PluginIpc.Tests.Processes;

/// <summary>Base of the fixtures that start processes: whatever a test leaves running, even when it fails, is killed in teardown.</summary>
public abstract class ProcessTestBase
{
    private readonly List<PluginProcess> _plugins = [];
    private readonly List<Process> _processes = [];

    /// <summary>Starts a plugin process through the connector of its transport and tracks it for teardown.</summary>
    internal Task<PluginProcess> StartAsync(PluginProcessStartInfo info, CancellationToken cancellationToken) =>
        StartAsync(info, NullLogger.Instance, cancellationToken);

    /// <summary>Starts a plugin process through the connector of its transport, logging to <paramref name="logger"/>, and tracks it for teardown.</summary>
    /// <remarks>Every process connector connects a <see cref="PluginProcess"/>; the tests also read what only it offers (its whole output tail).</remarks>
    internal async Task<PluginProcess> StartAsync(PluginProcessStartInfo info, ILogger logger, CancellationToken cancellationToken)
    {
        var plugin = (PluginProcess)await PluginConnectors.For(info.Transport).ConnectAsync(info, logger, cancellationToken);
        lock (_plugins)
        {
            _plugins.Add(plugin);
        }

        return plugin;
    }

    /// <summary>Starts a plain process and tracks it for teardown.</summary>
    internal Process StartRaw(ProcessStartInfo startInfo)
    {
        Process process = Process.Start(startInfo)!;
        lock (_processes)
        {
            _processes.Add(process);
        }

        return process;
    }

    [TearDown]
    public async Task KillLeftoversAsync()
    {
        PluginProcess[] plugins;
        lock (_plugins)
        {
            plugins = [.. _plugins];
            _plugins.Clear();
        }

        foreach (PluginProcess plugin in plugins)
        {
            await plugin.DisposeAsync();
        }

        Process[] processes;
        lock (_processes)
        {
            processes = [.. _processes];
            _processes.Clear();
        }

        foreach (Process process in processes)
        {
            try
            {
                process.Kill(entireProcessTree: true);
            }
            catch (InvalidOperationException)
            {
                // Already exited.
            }

            await process.WaitForExitAsync();
            process.Dispose();
        }
    }

    /// <summary>Writes <paramref name="payload"/> to <paramref name="output"/>, closes it, and reads <paramref name="input"/> to its end.</summary>
    internal static async Task<byte[]> EchoAsync(Stream output, Stream input, byte[] payload, CancellationToken cancellationToken)
    {
        Task write = Task.Run(
            async () =>
            {
                await output.WriteAsync(payload, cancellationToken);
                await output.FlushAsync(cancellationToken);
                await output.DisposeAsync();
            },
            cancellationToken);
        using var received = new MemoryStream();
        await input.CopyToAsync(received, cancellationToken);
        await write;
        return received.ToArray();
    }

    /// <summary>Returns random bytes.</summary>
    internal static byte[] RandomPayload(int length)
    {
        byte[] payload = new byte[length];
        Random.Shared.NextBytes(payload);
        return payload;
    }
}
