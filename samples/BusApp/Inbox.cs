using PluginIpc;

namespace BusApp;

/// <summary>What a host's subscription received, which the demo waits on (no sleeps: each wait ends when the message is there).</summary>
internal sealed class Inbox
{
    /// <summary>How long the demo waits for any one message before it calls the step failed.</summary>
    public static readonly TimeSpan WaitLimit = TimeSpan.FromSeconds(30);

    private readonly Lock _lock = new();
    private readonly List<BusMessage> _messages = [];
    private readonly List<(Func<BusMessage, bool> Match, TaskCompletionSource<BusMessage> Found)> _waiters = [];

    /// <summary>A <see cref="BusHandler"/> that records each message.</summary>
    public ValueTask Add(BusMessage message, CancellationToken cancellationToken)
    {
        lock (_lock)
        {
            _messages.Add(message);
            foreach (var waiter in _waiters.Where(waiter => waiter.Match(message)).ToList())
            {
                _waiters.Remove(waiter);
                waiter.Found.TrySetResult(message);
            }
        }

        return ValueTask.CompletedTask;
    }

    /// <summary>Returns the first message of <paramref name="topic"/> (with the application's prefix) that matches, received already or to come.</summary>
    /// <exception cref="TimeoutException">None came within <see cref="WaitLimit"/>.</exception>
    public async Task<BusMessage> WaitForAsync(string topic, Func<BusMessage, bool>? match, CancellationToken cancellationToken)
    {
        bool Matches(BusMessage message) => message.Topic == topic && (match is null || match(message));
        TaskCompletionSource<BusMessage> found = new(TaskCreationOptions.RunContinuationsAsynchronously);
        lock (_lock)
        {
            if (_messages.FirstOrDefault(Matches) is { } message)
            {
                return message;
            }

            _waiters.Add((Matches, found));
        }

        try
        {
            return await found.Task.WaitAsync(WaitLimit, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new TimeoutException($"No message of topic '{topic}'{(match is null ? "" : " as expected")} came within {WaitLimit.TotalSeconds:0} s.");
        }
    }
}
