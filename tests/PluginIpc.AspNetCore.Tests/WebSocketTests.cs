using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc.AspNetCore.JsonRpc;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>JSON-RPC 2.0 over the WebSocket: concurrency, cancellation, push.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class WebSocketTests
{
    private GatewayApp _app = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _app = await GatewayApp.StartAsync(o =>
    {
        o.AllowUnauthenticatedLoopback = true;
        o.Expose("echo");
        o.AllowedTopics.Add("news.*");
        o.MaxCallsInFlightPerConnection = 2;
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _app.DisposeAsync();

    [Test]
    public async Task Responses_come_in_completion_order()
    {
        using ClientWebSocket socket = await _app.ConnectAsync();
        await socket.SendAsync("""{"jsonrpc":"2.0","id":"slow","method":"echo/sleep","params":["1500"]}""");
        await socket.SendAsync("""{"jsonrpc":"2.0","id":"fast","method":"echo/echo","params":["x"]}""");
        JsonElement first = (await socket.ReceiveJsonAsync())!.Value;
        JsonElement second = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(first.GetProperty("id").GetString(), Is.EqualTo("fast"));
        Assert.That(second.GetProperty("result").GetString(), Is.EqualTo("slept"));
    }

    [Test]
    public async Task A_call_beyond_the_in_flight_limit_is_refused_at_once()
    {
        using ClientWebSocket socket = await _app.ConnectAsync();
        await socket.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/sleep","params":["1500"]}""");
        await socket.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"echo/sleep","params":["1500"]}""");
        await socket.SendAsync("""{"jsonrpc":"2.0","id":3,"method":"echo/echo","params":["x"]}""");
        JsonElement refused = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(refused.GetProperty("id").GetInt32(), Is.EqualTo(3));
        JsonRpcCallTests.AssertError(refused, -32004, "TOO_MANY_CALLS");
    }

    [Test]
    public async Task A_batch_holds_its_slots_until_its_response_goes_out()
    {
        // Its second item is answered at once (no such method), and that answer waits in memory for the slow first one:
        // it still counts against the limit of 2.
        using ClientWebSocket socket = await _app.ConnectAsync();
        await socket.SendAsync("""[{"jsonrpc":"2.0","id":"a","method":"echo/sleep","params":["1500"]},{"jsonrpc":"2.0","id":"b","method":"nothing"}]""");
        await socket.SendAsync("""{"jsonrpc":"2.0","id":"d","method":"echo/echo","params":["x"]}""");
        JsonElement refused = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(refused.ValueKind, Is.EqualTo(JsonValueKind.Object), refused.GetRawText());
        Assert.That(refused.GetProperty("id").GetString(), Is.EqualTo("d"));
        JsonRpcCallTests.AssertError(refused, -32004, "TOO_MANY_CALLS");
        JsonElement batch = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(batch.GetArrayLength(), Is.EqualTo(2));

        // A batch the free slots cannot take is refused item by item, each under its id.
        await socket.SendAsync("""{"jsonrpc":"2.0","id":"s","method":"echo/sleep","params":["1500"]}""");
        await socket.SendAsync("""[{"jsonrpc":"2.0","id":"f","method":"echo/echo","params":["x"]},{"jsonrpc":"2.0","id":"g","method":"echo/echo","params":["x"]}]""");
        JsonElement refusedBatch = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(refusedBatch.ValueKind, Is.EqualTo(JsonValueKind.Array), refusedBatch.GetRawText());
        Assert.That(refusedBatch.EnumerateArray().Select(item => item.GetProperty("id").GetString()), Is.EquivalentTo(new[] { "f", "g" }));
        Assert.That(refusedBatch.EnumerateArray().All(item => item.GetProperty("error").GetProperty("code").GetInt32() == -32004), Is.True);
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("id").GetString(), Is.EqualTo("s"));

        // Once it went out, its slots are free again.
        await socket.SendAsync("""{"jsonrpc":"2.0","id":"e","method":"echo/echo","params":["y"]}""");
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("result").GetString(), Is.EqualTo("y"));
    }

    [Test]
    public async Task CancelRequest_cancels_the_call_which_answers_request_cancelled()
    {
        using ClientWebSocket socket = await _app.ConnectAsync();
        await socket.SendAsync("""{"jsonrpc":"2.0","id":"s","method":"echo/sleep","params":["15000"]}""");
        await socket.SendAsync("""{"jsonrpc":"2.0","id":"e","method":"echo/echo","params":["started"]}""");
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("id").GetString(), Is.EqualTo("e"));
        var watch = System.Diagnostics.Stopwatch.StartNew();
        await socket.SendAsync("""{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"s"}}""");
        JsonElement cancelled = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(cancelled.GetProperty("id").GetString(), Is.EqualTo("s"));
        JsonRpcCallTests.AssertError(cancelled, -32800, "CANCELLED");
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(10)));

        // The slot is free again: two more calls fit the limit of 2.
        await socket.SendAsync("""[{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["a"]},{"jsonrpc":"2.0","id":2,"method":"echo/echo","params":["b"]}]""");
        JsonElement batch = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(batch.EnumerateArray().All(r => r.TryGetProperty("result", out _)), Is.True, batch.GetRawText());
    }

    [Test]
    public async Task Ids_are_compared_by_value_not_by_spelling()
    {
        using ClientWebSocket socket = await _app.ConnectAsync();
        await socket.SendAsync("""{"jsonrpc":"2.0","id":7,"method":"echo/sleep","params":["15000"]}""");
        await socket.SendAsync("""{"jsonrpc":"2.0","id":"\u0073","method":"echo/echo","params":["started"]}""");
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("id").GetString(), Is.EqualTo("s"));

        // 7e0 is the id in flight, spelled another way: refused as a duplicate, not run beside it.
        await socket.SendAsync("""{"jsonrpc":"2.0","id":7e0,"method":"echo/echo","params":["twice"]}""");
        JsonElement duplicate = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(duplicate.GetProperty("id").GetRawText(), Is.EqualTo("7e0"));
        Assert.That(duplicate.GetProperty("error").GetProperty("message").GetString(), Does.Contain("already in flight"), duplicate.GetRawText());

        // A cancel that names it as 7.0 cancels it; the answer carries the id as the request spelled it.
        await socket.SendAsync("""{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":7.0}}""");
        JsonElement cancelled = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(cancelled.GetProperty("id").GetRawText(), Is.EqualTo("7"));
        JsonRpcCallTests.AssertError(cancelled, -32800, "CANCELLED");
    }

    [TestCase("1", "1.0")]
    [TestCase("1", "1e0")]
    [TestCase("-12", "-1.2E1")]
    [TestCase("1.5", "1.50")]
    [TestCase("\"a\"", "\"\\u0061\"")]
    [TestCase("null", "null")]
    [TestCase("12345678901234567890123", "1.2345678901234567890123e22")]
    [TestCase("1e400", "10e399")]
    [TestCase("0", "-0.0e7")]
    [TestCase("-150", "-1.50E+2")]
    [TestCase("100", "1e2")]
    [TestCase("1e999999999999999999", "1e999999999999999999")]
    [TestCase("1e+99999999999999999", "10e+99999999999999998")]
    public void Equal_ids_have_one_key(string one, string other) =>
        Assert.That(JsonRpcIdKey.Of(Parse(one)), Is.EqualTo(JsonRpcIdKey.Of(Parse(other))));

    [TestCase("1", "\"1\"")]
    [TestCase("1", "2")]
    [TestCase("1.5", "1.25")]
    [TestCase("9007199254740993", "9007199254740992")]
    [TestCase("\"null\"", "null")]
    [TestCase("1", "1.00000000000000000000000000001")]
    [TestCase("79228162514264337593543950336", "79228162514264337593543950337")]
    [TestCase("1e-30", "0")]
    [TestCase("1e-400", "-1e-400")]
    [TestCase("1e999999999999999999", "1e999999999999999998")]
    public void Different_ids_have_different_keys(string one, string other) =>
        Assert.That(JsonRpcIdKey.Of(Parse(one)), Is.Not.EqualTo(JsonRpcIdKey.Of(Parse(other))));

    [TestCase("true")]
    [TestCase("{}")]
    [TestCase("[]")]
    public void Other_json_is_no_id(string json) => Assert.That(JsonRpcIdKey.Of(Parse(json)), Is.Null);

    [Test]
    public async Task Subscribe_pushes_bus_messages_of_allowed_topics_and_refuses_others()
    {
        using ClientWebSocket socket = await _app.ConnectAsync();
        await socket.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"$/subscribe","params":{"topic":"secret.plans"}}""");
        JsonRpcCallTests.AssertError((await socket.ReceiveJsonAsync())!.Value, -32003, "FORBIDDEN");

        await socket.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"$/subscribe","params":{"topic":"news.today"}}""");
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("result").GetBoolean(), Is.True);

        IPluginBus bus = _app.Services.GetRequiredService<IPluginBus>();
        await bus.PublishAsync("news.today", "hello"u8.ToArray());
        await bus.PublishAsync("news.today", new byte[] { 0xFF, 0x00 });
        JsonElement text = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(text.GetProperty("method").GetString(), Is.EqualTo("$/message"));
        Assert.That(text.TryGetProperty("id", out _), Is.False);
        JsonElement message = text.GetProperty("params");
        Assert.That(message.GetProperty("topic").GetString(), Is.EqualTo("news.today"));
        Assert.That(message.GetProperty("payload").GetString(), Is.EqualTo("hello"));
        Assert.That(message.GetProperty("missed").GetInt64(), Is.Zero);
        JsonElement binary = (await socket.ReceiveJsonAsync())!.Value.GetProperty("params");
        Assert.That(binary.GetProperty("payload").GetProperty("$base64").GetString(), Is.EqualTo("/wA="));

        await socket.SendAsync("""{"jsonrpc":"2.0","id":3,"method":"$/unsubscribe","params":{"topic":"news.today"}}""");
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("result").GetBoolean(), Is.True);
    }

    [Test]
    public async Task A_bus_message_over_MaxMessageBytes_is_not_pushed_and_shows_as_missed_on_the_next()
    {
        using ClientWebSocket socket = await _app.ConnectAsync();
        await socket.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"$/subscribe","params":{"topic":"news.big"}}""");
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("result").GetBoolean(), Is.True);

        IPluginBus bus = _app.Services.GetRequiredService<IPluginBus>();
        byte[] big = new byte[1536 * 1024]; // over the default MaxMessageBytes of 1 MiB; 2 MiB as base64
        Array.Fill(big, (byte)0xFF);
        await bus.PublishAsync("news.big", big);
        await bus.PublishAsync("news.big", "small"u8.ToArray());
        JsonElement next = (await socket.ReceiveJsonAsync())!.Value.GetProperty("params");
        Assert.That(next.GetProperty("payload").GetString(), Is.EqualTo("small"));
        Assert.That(next.GetProperty("missed").GetInt64(), Is.EqualTo(1));
        Assert.That(socket.State, Is.EqualTo(System.Net.WebSockets.WebSocketState.Open));
    }

    [Test]
    public async Task Push_methods_are_websocket_only()
    {
        JsonElement response = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"$/subscribe","params":{"topic":"news.x"}}""");
        JsonRpcCallTests.AssertError(response, -32601, "NOT_EXPOSED");
    }

    private static JsonElement Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }
}
