using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>An <see cref="ILogger"/> of plugin code whose entries go to the host as <c>cmd.log</c>.</summary>
internal sealed class HostLogger(HostLogForwarder forwarder, string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => forwarder.IsEnabled(logLevel);

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        ArgumentNullException.ThrowIfNull(formatter);
        if (IsEnabled(logLevel))
        {
            forwarder.Enqueue(logLevel, category, formatter(state, exception), exception);
        }
    }
}
