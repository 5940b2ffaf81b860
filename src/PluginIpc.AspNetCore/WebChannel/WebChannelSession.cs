using PluginIpc.AspNetCore.Transport;

namespace PluginIpc.AspNetCore.WebChannel;

/// <summary>
/// The WebChannel envelope on one WebSocket connection: each message one request, answered when it completes (in any order);
/// at most <see cref="PluginGatewayOptions.MaxCallsInFlightPerConnection"/> at once (more are answered E3002); its pages are
/// told onBeforeDestroy when the connection ends.
/// </summary>
internal sealed class WebChannelSession : IWebSocketSession
{
    private readonly WebChannelDispatcher _dispatcher;
    private readonly WebChannelLifecycle _lifecycle;
    private readonly GatewayWebSocketConnection _connection;
    private readonly WebChannelClient _client;
    private readonly int _maxInFlight;
    private readonly List<Task> _running = [];
    private int _inFlight;

    public WebChannelSession(WebChannelDispatcher dispatcher, WebChannelLifecycle lifecycle, GatewayWebSocketConnection connection, string user, int maxInFlight)
    {
        _dispatcher = dispatcher;
        _lifecycle = lifecycle;
        _connection = connection;
        _maxInFlight = maxInFlight;
        _client = new WebChannelClient(user, new WebChannelPages(), connection.Closing);
    }

    public bool IsBusy => Volatile.Read(ref _inFlight) > 0;

    public ValueTask OnMessageAsync(ReadOnlyMemory<byte> message)
    {
        // The receive buffer is reused: the work gets its own copy and runs on; its response goes out when it completes.
        bool busy = Interlocked.Increment(ref _inFlight) > _maxInFlight;
        Task running = RespondAsync(message.ToArray(), busy);
        lock (_running)
        {
            _running.RemoveAll(static task => task.IsCompleted);
            _running.Add(running);
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        // The pages are told they close after the requests that may still name them have ended (they end with the connection).
        Task[] running;
        lock (_running)
        {
            running = [.. _running];
        }

        // A request that failed must not skip the pages' onBeforeDestroy (nor the rest of the connection's teardown).
        await Task.WhenAll(running).ConfigureAwait(ConfigureAwaitOptions.SuppressThrowing);
        await _lifecycle.PagesClosedAsync(_client.Pages!.Close()).ConfigureAwait(false);
    }

    private async Task RespondAsync(byte[] message, bool busy)
    {
        try
        {
            _connection.TrySend(await _dispatcher.HandleAsync(message, _client, busy).ConfigureAwait(false));
        }
        finally
        {
            Interlocked.Decrement(ref _inFlight);
        }
    }
}
