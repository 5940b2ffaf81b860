using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc.AspNetCore.Calls;
using PluginIpc.AspNetCore.Tests.WebChannel;
using static PluginIpc.AspNetCore.Tests.WebChannel.WebChannelApp;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>MaxConcurrentCalls bounds the calls of the whole gateway: HTTP requests (each a session of its own), every connection, both dialects.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class GatewayCallLimitTests
{
    [Test]
    public async Task Calls_past_MaxConcurrentCalls_are_refused_over_every_transport_and_dialect()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync(o => o.MaxConcurrentCalls = 1);
        GatewayCallLimiter limiter = app.Gateway.Services.GetRequiredService<GatewayCallLimiter>();
        Assert.That(limiter.Limit, Is.EqualTo(1));
        AssertSuccess(await app.PostAsync(Envelope(NewId(), "echo", "wc", data: "1")));
        Assert.That(limiter.InUse, Is.Zero, "a call gives its place back");

        // The only place is taken (as by a call that runs): every new call, over any transport, is refused at once.
        Assert.That(limiter.TryAcquire(), Is.True);
        try
        {
            JsonElement rpc = await app.Gateway.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"wc/echo","params":{"n":1}}""");
            Assert.That(rpc.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32004), rpc.GetRawText());
            Assert.That(rpc.GetProperty("error").GetProperty("data").GetProperty("code").GetString(), Is.EqualTo("TOO_MANY_CALLS"));

            Assert.That(AssertError(await app.PostAsync(Envelope(NewId(), "echo", "wc", data: "1")), "E3002").GetProperty("details").GetProperty("code").GetString(), Is.EqualTo("TOO_MANY_CALLS"));

            using ClientWebSocket socket = await app.ConnectAsync();
            AssertError(await RequestAsync(socket, Envelope(NewId(), "echo", "wc", data: "1")), "E3002");

            using ClientWebSocket rpcSocket = await app.Gateway.ConnectAsync();
            await rpcSocket.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"wc/echo","params":{"n":1}}""");
            JsonElement? pushed = await rpcSocket.ReceiveJsonAsync();
            Assert.That(pushed!.Value.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32004));
        }
        finally
        {
            limiter.Release();
        }

        AssertSuccess(await app.PostAsync(Envelope(NewId(), "echo", "wc", data: "1")));
    }
}
