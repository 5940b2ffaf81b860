using Microsoft.Extensions.Logging;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>Writes warnings and errors to NUnit's progress output (set GATEWAY_TEST_LOG=1), to see why a run failed.</summary>
internal sealed class ProgressLoggerProvider : ILoggerProvider, ILogger
{
    public ILogger CreateLogger(string categoryName) => this;

    public void Dispose()
    {
    }

    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel >= LogLevel.Information;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter) =>
        TestContext.Progress.WriteLine($"[{logLevel}] {formatter(state, exception)} {exception}");
}
