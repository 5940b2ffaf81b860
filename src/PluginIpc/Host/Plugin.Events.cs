using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <content>
/// What the plugin reports: state changes and exits as events, its log entries and output lines as logs.
/// </content>
public sealed partial class Plugin
{
    private ValueTask<ReadOnlyMemory<byte>> OnLogMessage(Chunk chunk, IChunkPeer peer, CancellationToken cancellationToken)
    {
        PluginLogEntry entry = LogMessage.Parse(chunk.Buffer.Span, _options.TimeProvider.GetUtcNow()) with { Plugin = Name };
        _history.Add(entry);
        if (_pluginLogger.IsEnabled(entry.Level))
        {
            PluginLog.PluginEntry(_pluginLogger, entry.Level, entry.Category, entry.Message, entry.Exception);
        }

        return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
    }

    private void OnOutputLine(PluginOutputLine line)
    {
        bool isError = line.Source == PluginOutputSource.StandardError;
        _history.Add(new PluginLogEntry(
            _options.TimeProvider.GetUtcNow(),
            isError ? PluginLogSource.StandardError : PluginLogSource.StandardOutput,
            LogLevel.Information,
            isError ? "stderr" : "stdout",
            line.Text,
            null)
        {
            Plugin = Name,
        });
        PluginLog.OutputLine(_pluginLogger, isError ? "stderr" : "stdout", line.Text);
    }

    private void SetState(PluginState state, Exception? error)
    {
        PluginState previous;
        lock (_stateLock)
        {
            previous = _state;
            if (previous == state)
            {
                return;
            }

            _state = state;
            if (error is not null && state is PluginState.Disconnected or PluginState.Restarting or PluginState.Failed)
            {
                _lastError = error;
            }
        }

        PluginLog.StateChanged(_logger, Name, previous, state);
        try
        {
            StateChanged?.Invoke(this, new PluginStateChangedEventArgs(previous, state, error));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            PluginLog.EventHandlerFailed(_logger, Name, nameof(StateChanged), ex);
        }
    }

    private void RaiseExited(int processId, int exitCode, bool expected, Exception? reason = null)
    {
        var exit = new PluginExit(_options.TimeProvider.GetUtcNow(), processId, exitCode, expected, reason?.Message);
        Volatile.Write(ref _lastExit, exit);
        _history.AddExit(exit);
        try
        {
            Exited?.Invoke(this, new PluginExitedEventArgs(processId, exitCode, expected));
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            PluginLog.EventHandlerFailed(_logger, Name, nameof(Exited), ex);
        }
    }
}
