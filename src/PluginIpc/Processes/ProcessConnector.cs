using System.ComponentModel;
using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>Starts a plugin as a child process of the host; each subclass is one <see cref="PluginTransport"/> and decides which streams carry the channel.</summary>
/// <remarks>The connected plugin is a <see cref="PluginProcess"/>. A new way to start a local process (a sandbox, say) belongs here too.</remarks>
internal abstract class ProcessConnector : IPluginConnector
{
    private static readonly Encoding s_utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);

    // Creating inheritable pipe ends, starting the child and closing the host's copies of the child's ends happen under this
    // lock, so that no other child is forked while those ends are open in the host: a sibling that inherited them would keep
    // the host from seeing end of input when this plugin dies, and keep this plugin alive after its host dies.
    private static readonly SemaphoreSlim s_startLock = new(1, 1);

    /// <summary>Gets the transport this connector starts plugins over; <see cref="PluginProcessStartInfo.Transport"/> must name it.</summary>
    public abstract PluginTransport Transport { get; }

    /// <inheritdoc/>
    /// <exception cref="ArgumentException"><paramref name="info"/> is invalid or names another transport.</exception>
    public async Task<IConnectedPlugin> ConnectAsync(PluginProcessStartInfo info, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(logger);
        info.Validate();
        if (info.Transport != Transport)
        {
            throw new ArgumentException($"The start info names transport {info.Transport}; this connector starts plugins over {Transport}.", nameof(info));
        }

        ProcessStreams streams = CreateStreams(info);
        ProcessStartInfo startInfo = CreateStartInfo(info);
        string? mark = null;
        if (info.KillLeftoverProcesses && OperatingSystem.IsLinux())
        {
            mark = LeftoverProcesses.NewMarkValue();
            startInfo.Environment[LaunchVariables.Instance] = mark;
        }
        else
        {
            startInfo.Environment.Remove(LaunchVariables.Instance); // the host's own mark, if it is a plugin itself, is not its plugins'
        }

        PluginProcess.EnsureExitHook();

        Process? process = null;
        await s_startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            process = new Process { StartInfo = startInfo };
            streams.BeforeStart(startInfo);
            try
            {
                process.Start();
            }
            finally
            {
                streams.AfterStart();
            }
        }
        catch (Exception exception)
        {
            ProcessesLog.StartFailed(logger, info.ExecutablePath, exception);
            streams.Dispose();
            process?.Dispose();
            if (exception is Win32Exception)
            {
                throw new PluginStartException($"Cannot start plugin executable '{info.ExecutablePath}': {exception.Message}", exception);
            }

            throw;
        }
        finally
        {
            s_startLock.Release();
        }

        var plugin = new PluginProcess(process, info, streams, logger, mark is null ? null : LeftoverProcesses.MarkOf(mark, process.Id));
        ProcessesLog.ProcessStarted(logger, plugin.ProcessId, info.ExecutablePath, Transport);
        return plugin;
    }

    /// <summary>Returns this transport's streams for one start of the plugin that <paramref name="info"/> describes.</summary>
    /// <param name="info">The validated start info.</param>
    /// <returns>A new instance, not set up yet.</returns>
    /// <exception cref="PluginStartException">The transport is not supported on this system.</exception>
    protected abstract ProcessStreams CreateStreams(PluginProcessStartInfo info);

    private static ProcessStartInfo CreateStartInfo(PluginProcessStartInfo info)
    {
        var startInfo = new ProcessStartInfo(info.ExecutablePath)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            StandardOutputEncoding = s_utf8,
            StandardErrorEncoding = s_utf8,
            WorkingDirectory = info.WorkingDirectory ?? string.Empty,
        };

        foreach (string argument in info.Arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        IDictionary<string, string?> environment = startInfo.Environment;
        if (!info.InheritEnvironment)
        {
            environment.Clear();
        }

        foreach ((string name, string? value) in info.Environment)
        {
            if (value is null)
            {
                environment.Remove(name);
            }
            else
            {
                environment[name] = value;
            }
        }

        environment[LaunchVariables.Cookie] = info.Cookie;
        environment[LaunchVariables.Protocol] = LaunchVariables.ProtocolVersion;
        environment[LaunchVariables.Framer] = info.Framer;
        if (info.BusyPollTime > TimeSpan.Zero)
        {
            environment[LaunchVariables.BusyPollMicroseconds] = ((long)info.BusyPollTime.TotalMicroseconds).ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        else
        {
            environment.Remove(LaunchVariables.BusyPollMicroseconds); // the host's own hint, if it is a plugin itself, is not its plugins'
        }

        // A host that is itself a plugin must not pass its own descriptors on; inherited pipes set their own in BeforeStart.
        environment.Remove(LaunchVariables.InFd);
        environment.Remove(LaunchVariables.OutFd);
        return startInfo;
    }
}
