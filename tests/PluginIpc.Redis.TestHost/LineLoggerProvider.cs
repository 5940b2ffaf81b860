using Microsoft.Extensions.Logging;

namespace PluginIpc.Redis.TestHost;

/// <summary>Writes each log entry of the bus and its relay as a line <c>log {EventName} {message}</c> on the console, for the test to wait on.</summary>
internal sealed class LineLoggerProvider(Action<string> writeLine) : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new LineLogger(categoryName.StartsWith("PluginIpc.Bus", StringComparison.Ordinal) ? writeLine : null);

    public void Dispose()
    {
    }

    private sealed class LineLogger(Action<string>? writeLine) : ILogger
    {
        public IDisposable? BeginScope<TState>(TState state)
            where TState : notnull => null;

        public bool IsEnabled(LogLevel logLevel) => writeLine is not null && logLevel >= LogLevel.Information;

        public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
        {
            if (IsEnabled(logLevel))
            {
                writeLine!($"log {eventId.Name} {formatter(state, exception).ReplaceLineEndings(" ")}");
            }
        }
    }
}
