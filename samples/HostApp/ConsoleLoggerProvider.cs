using Microsoft.Extensions.Logging;

namespace HostApp;

/// <summary>A tiny logger provider that prints every entry at once, on its own line, so that log lines show up between the demo's steps as they happen.</summary>
internal sealed class ConsoleLoggerProvider : ILoggerProvider
{
    public ILogger CreateLogger(string categoryName) => new ConsoleLogger(categoryName);

    public void Dispose()
    {
    }
}
