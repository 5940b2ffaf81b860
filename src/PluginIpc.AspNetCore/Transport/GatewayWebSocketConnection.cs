using System.Net.WebSockets;
using System.Threading.Channels;
using Microsoft.Extensions.Logging;
using PluginIpc.AspNetCore.Diagnostics;

namespace PluginIpc.AspNetCore.Transport;

/// <summary>
/// One gateway WebSocket connection, whatever its dialect: a receive loop with a size limit, a bounded send queue whose
/// overflow disconnects the client, an idle timeout, and the close codes of <see cref="GatewayCloseCodes"/>.
/// </summary>
internal sealed class GatewayWebSocketConnection : IDisposable
{
    // How long a closing connection waits for the client's close frame (or for a stuck send) before it aborts the socket.
    private static readonly TimeSpan s_closeGrace = TimeSpan.FromSeconds(5);

    private readonly WebSocket _socket;
    private readonly PluginGatewayOptions _options;
    private readonly string _remote;
    private readonly ILogger _logger;
    private readonly GatewayMetrics _metrics;
    private readonly TimeProvider _time;
    private readonly Channel<byte[]> _queue;
    private readonly CancellationTokenSource _aborted = new();
    private readonly CancellationTokenSource _closing = new();
    private long _lastReceived;
    private long _queuedBytes;
    private long _peakQueuedBytes;
    private int _closeStarted;
    private WebSocketCloseStatus _closeStatus = GatewayCloseCodes.Normal;
    private string _closeReason = string.Empty;
    private volatile bool _dropQueued;
    private IWebSocketSession? _session;

    public GatewayWebSocketConnection(WebSocket socket, PluginGatewayOptions options, string remote, ILogger logger, GatewayMetrics metrics, TimeProvider time)
    {
        _socket = socket;
        _options = options;
        _remote = remote;
        _logger = logger;
        _metrics = metrics;
        _time = time;
        _queue = System.Threading.Channels.Channel.CreateBounded<byte[]>(new BoundedChannelOptions(options.MaxSendQueueMessages)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait, // TryWrite fails when full: that is the overflow

            // The send loop runs on in the writer's thread (to the socket write's first pending await) instead of being
            // scheduled: one thread hop less per response (GatewayBench: round trip about 35% lower). No writer holds a lock.
            AllowSynchronousContinuations = true,
        });
        _lastReceived = time.GetTimestamp();
    }

    /// <summary>Gets a token that fires when the connection begins to close: the session's calls end with it.</summary>
    public CancellationToken Closing => _closing.Token;

    /// <summary>Gets the client's address and port, for logs.</summary>
    public string Remote => _remote;

    /// <summary>Gets the close code the gateway chose, once it began to close.</summary>
    public WebSocketCloseStatus CloseStatus => _closeStatus;

    /// <summary>Queues <paramref name="message"/> (one UTF-8 text message); a full queue (by count or bytes) closes the connection with 1008.</summary>
    /// <returns><see langword="false"/> if the message will not be sent (the connection is closing, or it just overflowed).</returns>
    public bool TrySend(byte[] message)
    {
        // Bytes as well as messages: a count alone lets a slow client hold MaxSendQueueMessages answers of MaxMessageBytes each.
        long queued = Interlocked.Add(ref _queuedBytes, message.Length);
        if (queued <= _options.MaxSendQueueBytes)
        {
            if (_queue.Writer.TryWrite(message))
            {
                RaisePeak(queued);
                return true;
            }
        }

        Interlocked.Add(ref _queuedBytes, -message.Length);
        if (Volatile.Read(ref _closeStarted) == 0 && BeginClose(GatewayCloseCodes.SendQueueFull, "send queue full: the client does not read", dropQueued: true))
        {
            _metrics.SlowClientDisconnects.Add(1);
            GatewayLog.SlowClient(_logger, _remote, _options.MaxSendQueueMessages, _options.MaxSendQueueBytes, (int)GatewayCloseCodes.SendQueueFull);
        }

        return false;
    }

    /// <summary>Closes the connection with <paramref name="status"/>, dropping what waits to be sent (a session that ended, for example).</summary>
    public void Close(WebSocketCloseStatus status, string reason) => BeginClose(status, reason, dropQueued: true);

    /// <summary>Runs the connection until it ends; <paramref name="stopping"/> closes it with 1001.</summary>
    public async Task RunAsync(IWebSocketSession session, CancellationToken stopping)
    {
        _session = session;
        // Cancelling _aborted aborts the socket (as cancelling a pending receive would): the hot receive and send then pass no
        // token, and ManagedWebSocket takes its paths without a cancellation registration (and, for a send, without a state machine).
        using CancellationTokenRegistration abortSocket = _aborted.Token.UnsafeRegister(static state => ((WebSocket)state!).Abort(), _socket);
        Task sending = SendLoopAsync();
        using CancellationTokenRegistration onStopping = stopping.Register(static state => ((GatewayWebSocketConnection)state!).BeginClose(GatewayCloseCodes.GoingAway, "the server is stopping", dropQueued: false), this);
        using ITimer? idle = _options.IdleTimeout == Timeout.InfiniteTimeSpan
            ? null
            : _time.CreateTimer(static state => ((GatewayWebSocketConnection)state!).CheckIdle(), this, IdlePeriod(), IdlePeriod());
        string reason = "the client closed";
        try
        {
            reason = await ReceiveLoopAsync(session).ConfigureAwait(false);
        }
        finally
        {
            BeginClose(GatewayCloseCodes.Normal, string.Empty, dropQueued: false);
            await sending.ConfigureAwait(false);
            await session.DisposeAsync().ConfigureAwait(false);
            await DrainUntilCloseAsync().ConfigureAwait(false);
            if (_socket.State != WebSocketState.Closed)
            {
                _socket.Abort();
            }

            _metrics.SendQueuePeakBytes.Record(Interlocked.Read(ref _peakQueuedBytes));
            GatewayLog.ConnectionEnded(_logger, _remote, reason);
        }
    }

    public void Dispose()
    {
        _aborted.Dispose();
        _closing.Dispose();
    }

    // A quarter of the timeout, from 10 ms to a day: a timer takes at most about 49 days.
    private TimeSpan IdlePeriod() => TimeSpan.FromTicks(Math.Clamp(_options.IdleTimeout.Ticks / 4, TimeSpan.FromMilliseconds(10).Ticks, TimeSpan.FromDays(1).Ticks));

    private void CheckIdle()
    {
        if (_session is { IsBusy: false } && _time.GetElapsedTime(Interlocked.Read(ref _lastReceived)) >= _options.IdleTimeout
            && BeginClose(GatewayCloseCodes.Normal, "idle timeout", dropQueued: false))
        {
            GatewayLog.Idle(_logger, _remote, _options.IdleTimeout);
        }
    }

    private async Task<string> ReceiveLoopAsync(IWebSocketSession session)
    {
        using var buffer = new BoundedMessageBuffer(_options.MaxMessageBytes);
        try
        {
            while (true)
            {
                ValueWebSocketReceiveResult received = await _socket.ReceiveAsync(buffer.GetFree(), CancellationToken.None).ConfigureAwait(false);
                if (received.MessageType == WebSocketMessageType.Close)
                {
                    return "the client closed";
                }

                if (received.MessageType == WebSocketMessageType.Binary)
                {
                    BeginClose(GatewayCloseCodes.BinaryMessage, "text messages only", dropQueued: true);
                    return "a binary message";
                }

                buffer.Advance(received.Count);
                if (buffer.Exceeded)
                {
                    GatewayLog.MessageTooBig(_logger, _remote, _options.MaxMessageBytes);
                    BeginClose(GatewayCloseCodes.MessageTooBig, $"message over {_options.MaxMessageBytes} bytes", dropQueued: true);
                    return "a message too big";
                }

                if (!received.EndOfMessage)
                {
                    continue;
                }

                Interlocked.Exchange(ref _lastReceived, _time.GetTimestamp());
                if (Volatile.Read(ref _closeStarted) == 0)
                {
                    await session.OnMessageAsync(buffer.Written).ConfigureAwait(false);
                }

                buffer.Reset();
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            return "the connection was lost or aborted: " + ex.Message;
        }
    }

    /// <summary>
    /// After the gateway's close frame, reads and drops what the client still sends until its close frame (or the grace period):
    /// a socket closed with unread input is reset, and the client would lose the close frame and its code.
    /// </summary>
    private async Task DrainUntilCloseAsync()
    {
        if (_socket.State != WebSocketState.CloseSent)
        {
            return;
        }

        byte[] scratch = new byte[1024];
        try
        {
            while ((await _socket.ReceiveAsync(scratch.AsMemory(), _aborted.Token).ConfigureAwait(false)).MessageType != WebSocketMessageType.Close)
            {
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // Lost, or the grace period is over: the socket is aborted below.
        }
    }

    private async Task SendLoopAsync()
    {
        try
        {
            await foreach (byte[] message in _queue.Reader.ReadAllAsync(_aborted.Token).ConfigureAwait(false))
            {
                if (!_dropQueued)
                {
                    await _socket.SendAsync(message.AsMemory(), WebSocketMessageType.Text, endOfMessage: true, CancellationToken.None).ConfigureAwait(false);
                }

                Interlocked.Add(ref _queuedBytes, -message.Length);
            }

            if (_socket.State is WebSocketState.Open or WebSocketState.CloseReceived)
            {
                await _socket.CloseOutputAsync(_closeStatus, _closeReason, _aborted.Token).ConfigureAwait(false);
            }
        }
        catch (Exception ex) when (ex is WebSocketException or OperationCanceledException or IOException or ObjectDisposedException)
        {
            // The connection is gone; the receive loop ends the same way.
            Abort();
        }
    }

    /// <summary>Starts closing with <paramref name="status"/>: no more messages are queued, the queue is sent (or dropped), then the close frame.</summary>
    /// <returns><see langword="true"/> for the call that started it.</returns>
    private bool BeginClose(WebSocketCloseStatus status, string reason, bool dropQueued)
    {
        if (Interlocked.Exchange(ref _closeStarted, 1) != 0)
        {
            return false;
        }

        _closeStatus = status;
        _closeReason = reason;
        _dropQueued = dropQueued;
        _queue.Writer.TryComplete();
        try
        {
            _closing.Cancel();
            _aborted.CancelAfter(s_closeGrace); // a client that neither reads nor answers the close frame is cut off
        }
        catch (ObjectDisposedException)
        {
            // RunAsync has already ended.
        }

        return true;
    }

    private void RaisePeak(long queued)
    {
        long peak = Interlocked.Read(ref _peakQueuedBytes);
        while (queued > peak)
        {
            long seen = Interlocked.CompareExchange(ref _peakQueuedBytes, queued, peak);
            if (seen == peak)
            {
                return;
            }

            peak = seen;
        }
    }

    private void Abort()
    {
        try
        {
            _aborted.Cancel();
        }
        catch (ObjectDisposedException)
        {
        }
    }
}
