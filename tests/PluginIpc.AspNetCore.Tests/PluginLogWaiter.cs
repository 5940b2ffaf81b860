using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>
/// Sees what plugins log through the host (categories <c>PluginIpc.Plugins.*</c>) and lets a test await an entry: a plugin's log
/// entry reaches the host after the call that logged it has answered, so a test waits for it before querying.
/// </summary>
internal sealed class PluginLogWaiter : ILoggerProvider
{
    private readonly ConcurrentQueue<string> _messages = new();
    private readonly List<(string Text, TaskCompletionSource Seen)> _waiters = [];

    /// <summary>Completes when a plugin has logged a message containing <paramref name="text"/> (before or after this call).</summary>
    public Task WaitForAsync(string text)
    {
        var seen = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            if (_messages.Any(m => m.Contains(text, StringComparison.Ordinal)))
            {
                return Task.CompletedTask;
            }

            _waiters.Add((text, seen));
        }

        return seen.Task.WaitAsync(GatewayApp.Wait);
    }

    public ILogger CreateLogger(string categoryName) =>
        categoryName.StartsWith("PluginIpc.Plugins.", StringComparison.Ordinal) ? new Logger(this) : Microsoft.Extensions.Logging.Abstractions.NullLogger.Instance;

    public void Dispose()
    {
    }

    private void Add(string message)
    {
        lock (_waiters)
        {
            _messages.Enqueue(message);
            foreach ((string text, TaskCompletionSource seen) in _waiters.Where(w => message.Contains(w.Text, StringComparison.Ordinal)).ToList())
            {
                seen.TrySetResult();
                _waiters.Remove((text, seen));
            }
        }
    }

    private sealed class Logger(PluginLogWaiter owner) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            owner.Add(formatter(state, exception));
    }
}
