using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>JSON-RPC over the WebSocket against a slow or broken bus: every waiting message is bounded, every request answered.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class JsonRpcSessionTests
{
    [Test]
    public async Task Subscriptions_waiting_on_a_slow_bus_count_against_the_in_flight_limit()
    {
        var bus = new GatedBus();
        await using GatewayApp app = await StartAsync(bus);
        using ClientWebSocket socket = await app.ConnectAsync();
        await socket.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"$/subscribe","params":{"topic":"news.a"}}""");
        await socket.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"$/subscribe","params":{"topic":"news.b"}}""");

        // Both wait on the bus: a third subscribe and a call are refused at once instead of piling up with their messages.
        await socket.SendAsync("""{"jsonrpc":"2.0","id":3,"method":"$/subscribe","params":{"topic":"news.c"}}""");
        JsonElement refused = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(refused.GetProperty("id").GetInt32(), Is.EqualTo(3));
        JsonRpcCallTests.AssertError(refused, -32004, "TOO_MANY_CALLS");
        await socket.SendAsync("""{"jsonrpc":"2.0","id":4,"method":"echo/echo","params":["x"]}""");
        JsonElement call = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(call.GetProperty("id").GetInt32(), Is.EqualTo(4));
        JsonRpcCallTests.AssertError(call, -32004, "TOO_MANY_CALLS");

        // $/cancelRequest is never counted: it must get through to a full connection.
        await socket.SendAsync("""{"jsonrpc":"2.0","id":5,"method":"$/cancelRequest","params":{"id":99}}""");
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("id").GetInt32(), Is.EqualTo(5));

        bus.Open();
        JsonElement[] answers = [(await socket.ReceiveJsonAsync())!.Value, (await socket.ReceiveJsonAsync())!.Value];
        Assert.That(answers.Select(a => a.GetProperty("id").GetInt32()), Is.EquivalentTo(new[] { 1, 2 }));
        Assert.That(answers.All(a => a.GetProperty("result").GetBoolean()), Is.True);
    }

    [Test]
    public async Task A_request_that_fails_inside_the_gateway_is_answered_with_an_internal_error()
    {
        var bus = new GatedBus { Failure = new InvalidOperationException("the bus is broken") };
        bus.Open();
        await using GatewayApp app = await StartAsync(bus);
        using ClientWebSocket socket = await app.ConnectAsync();
        await socket.SendAsync("""{"jsonrpc":"2.0","id":"s","method":"$/subscribe","params":{"topic":"news.a"}}""");
        JsonElement failed = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(failed.GetProperty("id").GetString(), Is.EqualTo("s"));
        JsonRpcCallTests.AssertError(failed, -32603, "INTERNAL");
        Assert.That(failed.GetProperty("error").GetProperty("message").GetString(), Does.Not.Contain("broken"), "no exception text leaks to the client");

        // In a batch, the failing item is answered beside the others; the connection goes on.
        await socket.SendAsync("""[{"jsonrpc":"2.0","id":1,"method":"$/subscribe","params":{"topic":"news.b"}},{"jsonrpc":"2.0","id":2,"method":"$/cancelRequest","params":{"id":0}}]""");
        JsonElement batch = (await socket.ReceiveJsonAsync())!.Value;
        JsonElement first = batch.EnumerateArray().Single(r => r.GetProperty("id").GetInt32() == 1);
        JsonRpcCallTests.AssertError(first, -32603, "INTERNAL");
        Assert.That(batch.EnumerateArray().Single(r => r.GetProperty("id").GetInt32() == 2).GetProperty("result").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    private static Task<GatewayApp> StartAsync(GatedBus bus) => GatewayApp.StartAsync(
        o =>
        {
            o.AllowUnauthenticatedLoopback = true;
            o.Expose("echo");
            o.AllowedTopics.Add("news.*");
            o.MaxCallsInFlightPerConnection = 2;
        },
        builder => builder.Services.AddSingleton<IPluginBus>(bus));
}
