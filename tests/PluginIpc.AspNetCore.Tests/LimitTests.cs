using System.Net;
using System.Net.Sockets;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>Each limit against a misbehaving client, the call timeout, and many connections opening and closing.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class LimitTests
{
    [Test]
    public async Task An_http_body_declared_too_large_is_refused_before_it_is_sent()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(o => o.Expose("echo").AllowUnauthenticatedLoopback = true);
        using var client = new TcpClient();
        await client.ConnectAsync(app.Address.Host, app.Address.Port);
        NetworkStream stream = client.GetStream();

        // Headers only: 100 MB announced, none sent. The answer comes without the server waiting for the body.
        await stream.WriteAsync(Encoding.ASCII.GetBytes($"POST /plugins/rpc HTTP/1.1\r\nHost: {app.Address.Authority}\r\nContent-Type: application/json\r\nContent-Length: 100000000\r\n\r\n"));
        using var reader = new StreamReader(stream, Encoding.ASCII);
        string? status = await reader.ReadLineAsync().WaitAsync(GatewayApp.Wait);
        Assert.That(status, Does.StartWith("HTTP/1.1 413"));
    }

    [Test]
    public async Task An_http_body_over_the_limit_without_a_length_is_refused()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(o =>
        {
            o.Expose("echo").AllowUnauthenticatedLoopback = true;
            o.MaxMessageBytes = 1024;
        });
        var content = new StreamContent(new MemoryStream(new byte[64 * 1024]));
        content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        var request = new HttpRequestMessage(HttpMethod.Post, "/plugins/rpc") { Content = content };
        request.Headers.TransferEncodingChunked = true;
        using HttpResponseMessage response = await app.Http.SendAsync(request);
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
    }

    [Test]
    public async Task A_websocket_message_over_the_limit_closes_with_1009_before_it_ends()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(o =>
        {
            o.Expose("echo").AllowUnauthenticatedLoopback = true;
            o.MaxMessageBytes = 1024;
        });
        using ClientWebSocket socket = await app.ConnectAsync();
        using var timeout = new CancellationTokenSource(GatewayApp.Wait);
        await socket.SendAsync(new byte[4096], WebSocketMessageType.Text, endOfMessage: false, timeout.Token); // never finished
        Assert.That(await socket.ReceiveJsonAsync(), Is.Null);
        Assert.That(socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.MessageTooBig));
    }

    [Test]
    public async Task A_connection_over_the_limit_is_refused_with_503()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(o =>
        {
            o.Expose("echo").AllowUnauthenticatedLoopback = true;
            o.MaxConnections = 2;
        });
        using ClientWebSocket first = await app.ConnectAsync();
        using ClientWebSocket second = await app.ConnectAsync();
        var refused = Assert.ThrowsAsync<WebSocketException>(async () => (await app.ConnectAsync()).Dispose());
        Assert.That(refused!.Message, Does.Contain("503"));
    }

    [Test]
    public async Task A_client_that_does_not_read_is_closed_with_1008()
    {
        await using GatewayApp app = await StartFloodAsync(o => o.MaxSendQueueMessages = 4);
        using ClientWebSocket socket = await SubscribeToFloodAsync(app);

        // 2,000 messages of 16 KiB (32 MiB) that the client does not read: far more than the socket buffers hold.
        Flooded flooded = await FloodUnreadAsync(app, socket, 2000, 16 * 1024);

        // While the client stalled, the queue held at most its 4 messages and the one being sent (each the payload plus the envelope).
        Assert.That(flooded.PeakBytes, Is.InRange(16L * 1024, 5L * ((16 * 1024) + 256)), "the send queue stayed within MaxSendQueueMessages while the client did not read");
        Assert.That(socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        Assert.That(flooded.Received, Is.LessThan(2000));
        Assert.That(flooded.MemoryAfter - flooded.MemoryBefore, Is.LessThan(16L * 1024 * 1024), "the server kept nothing of the connection after its close");
    }

    [Test]
    public async Task A_client_that_never_reads_again_is_cut_off_after_the_close_grace()
    {
        // The send that blocks on the full socket has no token of its own: the connection ends only if the end of the close
        // grace period aborts the socket under it.
        await using GatewayApp app = await StartFloodAsync(o => o.MaxSendQueueMessages = 4);
        using ClientWebSocket socket = await SubscribeToFloodAsync(app);
        await PublishFloodAsync(app, 500, 64 * 1024);

        // The client reads nothing more, ever: within the grace (5 s) and the wait, the server has let the connection go.
        await ConnectionsClosedAsync(app);
        Assert.That(app.Services.GetRequiredService<PluginIpc.AspNetCore.Transport.ConnectionLimiter>().InUse, Is.Zero);
        socket.Abort();
    }

    [Test]
    public async Task A_client_that_does_not_read_is_closed_with_1008_when_its_queue_holds_too_many_bytes()
    {
        await using GatewayApp app = await StartFloodAsync(o =>
        {
            o.MaxSendQueueMessages = 100_000;
            o.MaxMessageBytes = 256 * 1024;
            o.MaxSendQueueBytes = 256 * 1024;
        });
        using ClientWebSocket socket = await SubscribeToFloodAsync(app);

        // 1,000 messages of 64 KiB (64 MiB): the count limit never trips, the bytes do.
        Flooded flooded = await FloodUnreadAsync(app, socket, 1000, 64 * 1024);

        Assert.That(flooded.PeakBytes, Is.InRange(64L * 1024, 256L * 1024), "the send queue stayed within MaxSendQueueBytes while the client did not read");
        Assert.That(socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.PolicyViolation));
        Assert.That(flooded.MemoryAfter - flooded.MemoryBefore, Is.LessThan(16L * 1024 * 1024), "the server kept nothing of the connection after its close");
    }

    [Test]
    public async Task An_idle_connection_is_closed_with_1000()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(o =>
        {
            o.Expose("echo").AllowUnauthenticatedLoopback = true;
            o.IdleTimeout = TimeSpan.FromMilliseconds(300);
        });
        using ClientWebSocket socket = await app.ConnectAsync();
        Assert.That(await socket.ReceiveJsonAsync(), Is.Null);
        Assert.That(socket.CloseStatus, Is.EqualTo(WebSocketCloseStatus.NormalClosure));
        Assert.That(socket.CloseStatusDescription, Is.EqualTo("idle timeout"));
    }

    [Test]
    public async Task A_call_over_the_call_timeout_answers_timeout()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(o =>
        {
            o.Expose("echo").AllowUnauthenticatedLoopback = true;
            o.CallTimeout = TimeSpan.FromMilliseconds(500);
        });
        JsonElement response = await app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/sleep","params":["10000"]}""");
        JsonRpcCallTests.AssertError(response, -32001, "TIMEOUT");
    }

    [Test]
    public async Task A_thousand_connections_open_and_close_with_memory_bounded()
    {
        await using GatewayApp app = await GatewayApp.StartAsync(o => o.Expose("echo").AllowUnauthenticatedLoopback = true);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        for (int round = 0; round < 100; round++)
        {
            ClientWebSocket[] sockets = await Task.WhenAll(Enumerable.Range(0, 10).Select(_ => app.ConnectAsync()));
            foreach (ClientWebSocket socket in sockets)
            {
                using var timeout = new CancellationTokenSource(GatewayApp.Wait);
                await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, null, timeout.Token);
                socket.Dispose();
            }
        }

        await ConnectionsClosedAsync(app);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        TestContext.Out.WriteLine($"1000 connections opened and closed: managed memory after a forced GC {before / 1024} KiB -> {after / 1024} KiB");
        Assert.That(after - before, Is.LessThan(32L * 1024 * 1024));
    }

    /// <summary>Waits until the server has ended every WebSocket connection (its session disposed, its subscriptions gone).</summary>
    private static async Task ConnectionsClosedAsync(GatewayApp app)
    {
        var limiter = app.Services.GetRequiredService<PluginIpc.AspNetCore.Transport.ConnectionLimiter>();
        using var timeout = new CancellationTokenSource(GatewayApp.Wait);
        using var poll = new PeriodicTimer(TimeSpan.FromMilliseconds(10));
        while (limiter.InUse > 0)
        {
            await poll.WaitForNextTickAsync(timeout.Token);
        }
    }

    /// <summary>Starts a gateway whose clients may subscribe to the topic <c>flood</c>, with the send-queue limits of <paramref name="limits"/>.</summary>
    private static Task<GatewayApp> StartFloodAsync(Action<PluginGatewayOptions> limits) => GatewayApp.StartAsync(o =>
    {
        o.Expose("echo").AllowUnauthenticatedLoopback = true;
        o.AllowedTopics.Add("flood");
        limits(o);
    });

    private static async Task<ClientWebSocket> SubscribeToFloodAsync(GatewayApp app)
    {
        ClientWebSocket socket = await app.ConnectAsync();
        await socket.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"$/subscribe","params":{"topic":"flood"}}""");
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("result").GetBoolean(), Is.True);
        return socket;
    }

    private static async Task PublishFloodAsync(GatewayApp app, int count, int bytes)
    {
        IPluginBus bus = app.Services.GetRequiredService<IPluginBus>();
        byte[] payload = Encoding.ASCII.GetBytes(new string('x', bytes));
        for (int i = 0; i < count; i++)
        {
            await bus.PublishAsync("flood", payload);
        }
    }

    /// <summary>
    /// Publishes <paramref name="count"/> messages the client does not read, then reads what comes until the server closes:
    /// a queue without bound would deliver all of them and never close, and the client then ends the connection itself.
    /// </summary>
    private static async Task<Flooded> FloodUnreadAsync(GatewayApp app, ClientWebSocket socket, int count, int bytes)
    {
        using var peaks = new SendQueuePeaks(app);
        long before = GC.GetTotalMemory(forceFullCollection: true);
        await PublishFloodAsync(app, count, bytes);
        int received = await socket.ReceiveUntilCloseAsync(atMost: count);
        if (socket.State == WebSocketState.Open)
        {
            socket.Abort();
        }

        await ConnectionsClosedAsync(app);
        long after = GC.GetTotalMemory(forceFullCollection: true);
        TestContext.Out.WriteLine($"received {received} of {count} before the close; send queue peak {peaks.Max / 1024} KiB; managed memory {before / 1024} KiB -> {after / 1024} KiB");
        return new Flooded(received, peaks.Max, before, after);
    }

    /// <summary>What a client that did not read got, the most bytes its send queue held, and the server's memory before and after.</summary>
    private readonly record struct Flooded(int Received, long PeakBytes, long MemoryBefore, long MemoryAfter);
}
