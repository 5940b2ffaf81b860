using Microsoft.Extensions.Logging;

namespace HostApp;

/// <summary>Prints log entries as <c>log&gt; Level Category: message</c>.</summary>
internal sealed class ConsoleLogger(string category) : ILogger
{
    public IDisposable? BeginScope<TState>(TState state)
        where TState : notnull => null;

    public bool IsEnabled(LogLevel logLevel) => logLevel != LogLevel.None;

    public void Log<TState>(LogLevel logLevel, EventId eventId, TState state, Exception? exception, Func<TState, Exception?, string> formatter)
    {
        if (!IsEnabled(logLevel))
        {
            return;
        }

        string text = $"   log> {logLevel} {category}: {formatter(state, exception)}";
        if (exception is not null)
        {
            text += $" ({exception.GetType().Name}: {exception.Message})";
        }

        Console.WriteLine(text);
    }
}
