using System.ComponentModel;
using System.Diagnostics;
using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>A running plugin process as its host sees it: the two channel streams, the output it logs, and its lifetime.</summary>
/// <remarks>
/// What <see cref="ProcessConnector"/> connects, whatever the transport: its <see cref="ProcessStreams"/> open the channel.
/// Thread safe. The host reads the plugin's chunks from <see cref="Input"/> and writes its own to <see cref="Output"/>.
/// Lines the plugin writes to stderr, and to stdout when the channel does not use it, go to the logger, to
/// <see cref="PluginProcessStartInfo.OutputReceived"/> and to a bounded tail kept for error messages; a line longer than
/// <see cref="PluginProcessStartInfo.MaxOutputLineLength"/> goes in marked pieces (see <see cref="BoundedLineReader"/>).
/// Plugins that are still running when the host process exits normally are killed, with their descendants.
/// </remarks>
internal sealed partial class PluginProcess : IConnectedPlugin
{
    private static readonly TimeSpan s_drainTimeout = TimeSpan.FromSeconds(5);
    private static readonly TimeSpan s_leftoverWait = TimeSpan.FromSeconds(1);

    private readonly Process _process;
    private readonly ILogger _logger;
    private readonly OutputTail _tail;
    private readonly Action<PluginOutputLine>? _outputReceived;
    private readonly int _maxOutputLineLength;
    private readonly ProcessStreams _streams;
    private readonly Task _processExited;
    private readonly LaunchMark? _leftoverMark;
    private int _disposed;

    /// <summary>Takes over a started <paramref name="process"/>: opens the channel's <paramref name="streams"/> and reads its output.</summary>
    /// <param name="process">The plugin process, just started with redirected standard streams.</param>
    /// <param name="info">What was started; gives the output settings.</param>
    /// <param name="streams">The transport's streams, set up for this start; this instance disposes them.</param>
    /// <param name="logger">Receives the life cycle events and the output lines.</param>
    /// <param name="leftoverMark">The launch's mark, by which the processes it leaves running are found and killed once it exits; <see langword="null"/> to leave them.</param>
    internal PluginProcess(Process process, PluginProcessStartInfo info, ProcessStreams streams, ILogger logger, LaunchMark? leftoverMark)
    {
        _process = process;
        _leftoverMark = leftoverMark;
        _logger = logger;
        _tail = new OutputTail(info.OutputTailCapacity);
        _outputReceived = info.OutputReceived;
        _maxOutputLineLength = info.MaxOutputLineLength;
        _streams = streams;
        ProcessId = process.Id;
        ExecutablePath = info.ExecutablePath;
        Track(this); // before the tasks below, which untrack it once the process has exited

        (Input, Output) = streams.Open(process);
        OutputCompleted = streams.StandardOutputIsFree
            ? Task.WhenAll(
                ReadLinesAsync(process.StandardError, PluginOutputSource.StandardError),
                ReadLinesAsync(process.StandardOutput, PluginOutputSource.StandardOutput))
            : ReadLinesAsync(process.StandardError, PluginOutputSource.StandardError);

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

    /// <summary>Returns the recent lines of stderr and free stdout, oldest first.</summary>
    public IReadOnlyList<string> GetRecentOutput() => [.. _tail.Snapshot().Select(l => l.Text)];

    /// <inheritdoc/>
    public async ValueTask CloseOutputAsync()
    {
        try
        {
            await Output.DisposeAsync().ConfigureAwait(false);
        }
        catch (Exception exception) when (exception is IOException or ObjectDisposedException)
        {
            // Already broken: the plugin is gone.
        }
    }

    /// <summary>Kills the process and all its descendants, then waits until <see cref="Exited"/> completes.</summary>
    /// <remarks>Does nothing more than wait if the process has already exited.</remarks>
    /// <param name="cancellationToken">Cancels the wait, not the kill.</param>
    public async Task KillAsync(CancellationToken cancellationToken)
    {
        Kill();
        await Exited.WaitAsync(cancellationToken).ConfigureAwait(false);
    }

    /// <summary>Kills the process and its descendants if it is still running, waits for it, and releases the streams.</summary>
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
        ProcessStreams.DisposeQuietly(Input); // the reading wrapper and its duplicate descriptor, then the pipe itself
        _streams.Dispose();

        // Process.Dispose leaves the redirected streams to the finalizer; close their descriptors now.
        ProcessStreams.DisposeQuietly(_process.StandardInput);
        ProcessStreams.DisposeQuietly(_process.StandardOutput);
        ProcessStreams.DisposeQuietly(_process.StandardError);
        ProcessStreams.DisposeQuietly(_process);
    }

    private async Task<int> WaitForExitAndOutputAsync()
    {
        await _processExited.ConfigureAwait(false);
        if (_leftoverMark is { } mark)
        {
            // Before the output drains: a leftover that inherited stderr would hold it open until the drain timed out. Not
            // waited for long: a read of /proc can block (see LeftoverProcesses), and the exit must still be reported.
            await LeftoverProcesses.KillAsync([mark], _logger).WaitAsync(s_leftoverWait).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        }

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
}
