using System.Threading.Channels;
using Microsoft.Extensions.Logging;

namespace PluginIpc;

/// <summary>Sends log entries to the host as <c>cmd.log</c> one-way messages, in order, without ever blocking the code that logs.</summary>
/// <remarks>A bounded queue drops the oldest entries under a flood; entries that cannot reach the host go to stderr.</remarks>
internal sealed class HostLogForwarder : ILoggerProvider, ILoggerFactory
{
    private const int Capacity = 4096;
    private readonly Channel<byte[]> _queue = System.Threading.Channels.Channel.CreateBounded<byte[]>(
        new BoundedChannelOptions(Capacity) { FullMode = BoundedChannelFullMode.DropOldest, SingleReader = true });

    private readonly LogLevel _minimumLevel;
    private Channel? _channel;
    private Task _pump = Task.CompletedTask;

    public HostLogForwarder(LogLevel minimumLevel) => _minimumLevel = minimumLevel;

    public bool IsEnabled(LogLevel level) => level != LogLevel.None && level >= _minimumLevel;

    /// <summary>Starts sending queued and future entries over <paramref name="channel"/>.</summary>
    public void Attach(Channel channel)
    {
        _channel = channel;
        _pump = PumpAsync(channel);
    }

    public void Enqueue(LogLevel level, string category, string message, Exception? exception)
    {
        byte[] body = LogMessage.Encode(level, category, message, exception?.ToString());
        if (!_queue.Writer.TryWrite(body))
        {
            WriteToStderr(body);
        }
    }

    /// <summary>Stops accepting entries and waits, up to <paramref name="timeout"/>, until the queued ones are sent.</summary>
    public async Task FlushAsync(TimeSpan timeout)
    {
        _queue.Writer.TryComplete();
        await _pump.WaitAsync(timeout).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
    }

    public ILogger CreateLogger(string categoryName) => new HostLogger(this, categoryName);

    public void AddProvider(ILoggerProvider provider) =>
        throw new NotSupportedException("Main.LoggerFactory sends every entry to the host; add other providers to your own logging setup.");

    public void Dispose() => _queue.Writer.TryComplete();

    private static void WriteToStderr(byte[] body)
    {
        PluginLogEntry entry = LogMessage.Parse(body, DateTimeOffset.UtcNow);
        Console.Error.WriteLine($"{entry.Level}: {entry.Category}: {entry.Message}{(entry.Exception is null ? string.Empty : Environment.NewLine + entry.Exception)}");
    }

    private async Task PumpAsync(Channel channel)
    {
        await foreach (byte[] body in _queue.Reader.ReadAllAsync().ConfigureAwait(false))
        {
            try
            {
                await channel.NotifyAsync(Commands.Log, body).ConfigureAwait(false);
            }
            catch (PluginIpcException)
            {
                WriteToStderr(body); // The host is gone or the entry is too large: keep it where the host may still read it.
            }
        }
    }
}
