using System.ComponentModel;
using System.Diagnostics;
using System.IO.Pipes;
using System.Text;
using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>A running plugin process as its host sees it: the two channel streams, the output it logs, and its lifetime.</summary>
/// <remarks>
/// Thread safe. The host reads the plugin's chunks from <see cref="Input"/> and writes its own to <see cref="Output"/>.
/// Lines the plugin writes to stderr, and to stdout when the channel does not use it, go to the logger, to
/// <see cref="PluginProcessStartInfo.OutputReceived"/> and to a bounded tail kept for error messages; a line longer than
/// <see cref="PluginProcessStartInfo.MaxOutputLineLength"/> goes in marked pieces (see <see cref="BoundedLineReader"/>).
/// Plugins that are still running when the host process exits normally are killed, with their descendants.
/// </remarks>
internal sealed partial class PluginProcess : IAsyncDisposable
{
    private const string InputThreadName = "PluginIpc plugin output";

    private static readonly Encoding s_utf8 = new UTF8Encoding(encoderShouldEmitUTF8Identifier: false);
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(5);

    // Creating inheritable pipe ends, starting the child and closing the host's copies of the child's ends happen under this
    // lock, so that no other child is forked while those ends are open in the host: a sibling that inherited them would keep
    // the host from seeing end of input when this plugin dies, and keep this plugin alive after its host dies.
    private static readonly SemaphoreSlim s_startLock = new(1, 1);

    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly OutputTail _tail;
    private readonly Action<PluginOutputLine>? _outputReceived;
    private readonly int _maxOutputLineLength;
    private readonly AnonymousPipeServerStream? _toPlugin;
    private readonly AnonymousPipeServerStream? _fromPlugin;
    private readonly Task _processExited;
    private int _disposed;

    private PluginProcess(
        Process process,
        PluginProcessStartInfo info,
        ILogger logger,
        AnonymousPipeServerStream? toPlugin,
        AnonymousPipeServerStream? fromPlugin)
    {
        _process = process;
        _logger = logger;
        _tail = new OutputTail(info.OutputTailCapacity);
        _outputReceived = info.OutputReceived;
        _maxOutputLineLength = info.MaxOutputLineLength;
        _toPlugin = toPlugin;
        _fromPlugin = fromPlugin;
        ProcessId = process.Id;
        ExecutablePath = info.ExecutablePath;
        Track(this); // before the tasks below, which untrack it once the process has exited

        if (toPlugin is not null && fromPlugin is not null)
        {
            Input = OpenInput(fromPlugin);
            Output = GrowPipe(toPlugin);
            OutputCompleted = Task.WhenAll(
                ReadLinesAsync(process.StandardError, PluginOutputSource.StandardError),
                ReadLinesAsync(process.StandardOutput, PluginOutputSource.StandardOutput));
        }
        else
        {
            Input = OpenInput(process.StandardOutput.BaseStream);
            Output = GrowPipe(process.StandardInput.BaseStream);
            OutputCompleted = ReadLinesAsync(process.StandardError, PluginOutputSource.StandardError);
        }

        _processExited = process.WaitForExitAsync(CancellationToken.None);
        Exited = WaitForExitAndOutputAsync();
    }

    /// <summary>Gets the stream the host reads the plugin's chunks from.</summary>
    /// <remarks>Blocking reads on a thread of its own, which runs the channel's dispatch: one wake-up per message.</remarks>
    public Stream Input { get; }

    /// <summary>Gets the stream the host writes chunks to the plugin to. Disposing it tells the plugin that its input ended.</summary>
    public Stream Output { get; }

    /// <summary>Gets the operating system's id of the plugin process.</summary>
    public int ProcessId { get; }

    /// <summary>Gets the executable that was started.</summary>
    public string ExecutablePath { get; }

    /// <summary>Gets a task that completes with the exit code once the process has exited and its output was read to the end.</summary>
    /// <remarks>
    /// It never fails. If a descendant of the plugin keeps its stderr or stdout open, the task completes anyway 5 seconds after
    /// the exit. On Unix, a process killed by a signal reports 128 plus the signal number.
    /// </remarks>
    public Task<int> Exited { get; }

    /// <summary>Gets a value indicating whether the process has exited.</summary>
    public bool HasExited => _processExited.IsCompleted;

    /// <summary>Gets a task that completes when stderr (and stdout, when it is free) have been read to their end.</summary>
    internal Task OutputCompleted { get; }

    /// <summary>Gets the recent lines of stderr, oldest first, joined by line feeds: the tail for error messages.</summary>
    public string StderrTail =>
        string.Join('\n', _tail.Snapshot(PluginOutputSource.StandardError).Select(l => l.Text));

    /// <summary>Gives <paramref name="pipe"/> the channel's larger pipe buffer where the system allows it (see <see cref="UnixNative.TryGrowPipe"/>).</summary>
    private static Stream GrowPipe(Stream pipe)
    {
        if (OperatingSystem.IsLinux() && TryGetDescriptor(pipe, out int fd))
        {
            UnixNative.TryGrowPipe(fd);
        }

        return pipe;
    }

    private static bool TryGetDescriptor(Stream pipe, out int fd)
    {
        fd = pipe is PipeStream { SafePipeHandle: { IsInvalid: false } handle } ? (int)handle.DangerousGetHandle() : -1;
        return fd >= 0;
    }

    /// <summary>
    /// Wraps the pipe the host reads the plugin's chunks from: on Linux and macOS, a duplicate of its descriptor is read with
    /// blocking reads on a thread of its own (see <see cref="DedicatedReadStream"/>), and the pipe closes with it.
    /// </summary>
    private static Stream OpenInput(Stream pipe)
    {
        GrowPipe(pipe);
        if ((OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && TryGetDescriptor(pipe, out int fd))
        {
            return DedicatedReadStream.ForDescriptor(UnixNative.Duplicate(fd), InputThreadName, closeWith: pipe);
        }

        return pipe;
    }

    /// <summary>Starts a plugin process.</summary>
    /// <param name="info">What to start and how.</param>
    /// <param name="logger">Receives the life cycle events and every line of the plugin's output.</param>
    /// <param name="cancellationToken">Cancels waiting for other starts to finish; a process already started is not stopped.</param>
    /// <returns>The running process.</returns>
    /// <exception cref="PluginStartException">The executable was not found, could not be executed, or the transport is not supported.</exception>
    public static async Task<PluginProcess> StartAsync(PluginProcessStartInfo info, ILogger logger, CancellationToken cancellationToken)
    {
        ArgumentNullException.ThrowIfNull(info);
        ArgumentNullException.ThrowIfNull(logger);
        info.Validate();
        if (info.Transport == PluginTransport.InheritedPipes && OperatingSystem.IsWindows())
        {
            throw new PluginStartException(
                $"Cannot start plugin executable '{info.ExecutablePath}': inherited pipes are not supported on Windows; use the Stdio transport.");
        }

        ProcessStartInfo startInfo = CreateStartInfo(info);
        EnsureExitHook();

        AnonymousPipeServerStream? toPlugin = null, fromPlugin = null;
        Process? process = null;
        await s_startLock.WaitAsync(cancellationToken).ConfigureAwait(false);
        try
        {
            process = new Process { StartInfo = startInfo };
            if (info.Transport == PluginTransport.InheritedPipes)
            {
                toPlugin = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.Inheritable);
                fromPlugin = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
                startInfo.Environment[LaunchVariables.InFd] = toPlugin.GetClientHandleAsString();
                startInfo.Environment[LaunchVariables.OutFd] = fromPlugin.GetClientHandleAsString();
            }

            try
            {
                process.Start();
            }
            finally
            {
                toPlugin?.DisposeLocalCopyOfClientHandle();
                fromPlugin?.DisposeLocalCopyOfClientHandle();
            }
        }
        catch (Exception exception)
        {
            ProcessesLog.StartFailed(logger, info.ExecutablePath, exception);
            toPlugin?.Dispose();
            fromPlugin?.Dispose();
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

        if (info.Transport == PluginTransport.InheritedPipes)
        {
            // stdin is not the channel: give the plugin an immediate end of input there instead of the host's console.
            CloseQuietly(process.StandardInput);
        }

        var plugin = new PluginProcess(process, info, logger, toPlugin, fromPlugin);
        ProcessesLog.ProcessStarted(logger, plugin.ProcessId, info.ExecutablePath, info.Transport);
        return plugin;
    }

    /// <summary>Returns the recent lines of stderr and free stdout, oldest first.</summary>
    public IReadOnlyList<string> GetRecentOutput() => [.. _tail.Snapshot().Select(l => l.Text)];

    /// <summary>Kills the process and all its descendants, then waits until <see cref="Exited"/> completes.</summary>
    /// <remarks>Does nothing more than wait if the process has already exited.</remarks>
    /// <param name="cancellationToken">Cancels the wait, not the kill.</param>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        Kill();
        await Exited.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills the process and its descendants if it is still running, waits for it, and releases the pipes.</summary>
    /// <remarks>Safe to call more than once; never throws.</remarks>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        Kill();
        try
        {
            await Exited.WaitAsync(s_drainTimeout + s_drainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            // Kill failed and was logged; release what we hold anyway.
        }

        Untrack(this);
        DisposeQuietly(Input); // the reading wrapper and its duplicate descriptor, then the pipe itself
        DisposeQuietly(_toPlugin);
        DisposeQuietly(_fromPlugin);

        // Process.Dispose leaves the redirected streams to the finalizer; close their descriptors now.
        DisposeQuietly(_process.StandardInput);
        DisposeQuietly(_process.StandardOutput);
        DisposeQuietly(_process.StandardError);
        DisposeQuietly(_process);
    }

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

        // A host that is itself a plugin must not pass its own descriptors on; inherited pipes set their own below.
        environment.Remove(LaunchVariables.InFd);
        environment.Remove(LaunchVariables.OutFd);
        return startInfo;
    }

    private async Task<int> WaitForExitAndOutputAsync()
    {
        await _processExited.ConfigureAwait(false);
        int exitCode;
        try
        {
            exitCode = _process.ExitCode;
        }
        catch (InvalidOperationException)
        {
            exitCode = -1; // disposed after a failed kill; Exited never fails
        }
        try
        {
            await OutputCompleted.WaitAsync(s_drainTimeout).ConfigureAwait(false);
        }
        catch (TimeoutException)
        {
            ProcessesLog.OutputDrainTimedOut(_logger, ProcessId, (int)s_drainTimeout.TotalMilliseconds);
        }

        Untrack(this);
        ProcessesLog.ProcessExited(_logger, ProcessId, exitCode);
        return exitCode;
    }

    private async Task ReadLinesAsync(StreamReader reader, PluginOutputSource source)
    {
        // Bounded: a plugin that writes without line breaks must not grow the host (a plain ReadLine buffers the whole line).
        var lines = new BoundedLineReader(reader, source, _maxOutputLineLength);
        try
        {
            while (await lines.ReadLineAsync(CancellationToken.None).ConfigureAwait(false) is { } line)
            {
                _tail.Add(line);
                if (_outputReceived is null)
                {
                    // With a callback, its owner logs the line under the plugin's own category instead.
                    if (source == PluginOutputSource.StandardError)
                    {
                        ProcessesLog.StandardError(_logger, line.Text);
                    }
                    else
                    {
                        ProcessesLog.StandardOutput(_logger, line.Text);
                    }
                }

                try
                {
                    _outputReceived?.Invoke(line);
                }
                catch (Exception exception)
                {
                    ProcessesLog.OutputCallbackFailed(_logger, ProcessId, exception);
                }
            }
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException)
        {
            ProcessesLog.OutputReadFailed(_logger, source, ProcessId, exception);
        }
    }

    private void Kill(bool log = true)
    {
        if (HasExited)
        {
            return;
        }

        if (log)
        {
            ProcessesLog.KillingProcess(_logger, ProcessId);
        }

        try
        {
            _process.Kill(entireProcessTree: true);
        }
        catch (InvalidOperationException)
        {
            // It exited meanwhile, or the Process was disposed.
        }
        catch (Exception exception) when (exception is Win32Exception or AggregateException or NotSupportedException)
        {
            if (log)
            {
                ProcessesLog.KillFailed(_logger, ProcessId, exception);
            }
        }
    }

    private static void CloseQuietly(StreamWriter writer)
    {
        try
        {
            writer.Close();
        }
        catch (IOException)
        {
            // The plugin already exited.
        }
    }

    private static void DisposeQuietly(IDisposable? disposable)
    {
        try
        {
            disposable?.Dispose();
        }
        catch (Exception exception) when (exception is IOException or InvalidOperationException)
        {
            // Disposal must not throw; the streams are broken once the process is gone.
        }
    }
}
