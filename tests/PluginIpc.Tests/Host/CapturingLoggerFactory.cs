using System.Collections.Concurrent;
using Microsoft.Extensions.Logging;

namespace PluginIpc.Tests.Host;

/// <summary>A logger factory that keeps every entry with its category, and lets a test await the entry it expects.</summary>
internal sealed class CapturingLoggerFactory : ILoggerFactory
{
    private readonly ConcurrentQueue<LoggedEntry> _entries = new();
    private readonly List<(Func<LoggedEntry, bool> Match, TaskCompletionSource<LoggedEntry> Seen)> _waiters = [];

    public IReadOnlyList<LoggedEntry> Entries => [.. _entries];

    /// <summary>Returns the first entry, past or future, that matches <paramref name="match"/>.</summary>
    public Task<LoggedEntry> WaitForAsync(Func<LoggedEntry, bool> match, CancellationToken cancellationToken)
    {
        var seen = new TaskCompletionSource<LoggedEntry>(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_waiters)
        {
            _waiters.Add((match, seen));
            foreach (LoggedEntry entry in _entries)
            {
                if (match(entry))
                {
                    seen.TrySetResult(entry);
                    break;
                }
            }
        }

        return seen.Task.WaitAsync(cancellationToken);
    }

    public ILogger CreateLogger(string categoryName) => new CapturingLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) => throw new NotSupportedException();

    public void Dispose()
    {
    }

    private void Add(LoggedEntry entry)
    {
        lock (_waiters)
        {
            _entries.Enqueue(entry);
            foreach ((Func<LoggedEntry, bool> match, TaskCompletionSource<LoggedEntry> seen) in _waiters)
            {
                if (!seen.Task.IsCompleted && match(entry))
                {
                    seen.TrySetResult(entry);
                }
            }
        }
    }

    internal sealed record LoggedEntry(string Category, LogLevel Level, EventId EventId, string Message);

    private sealed class CapturingLogger(CapturingLoggerFactory factory, string category) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => true;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
            factory.Add(new LoggedEntry(category, logLevel, eventId, formatter(state, exception)));
    }
}
