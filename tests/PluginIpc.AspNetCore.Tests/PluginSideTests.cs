using System.Net.WebSockets;
using System.Text.Json;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>
/// What the plugin sees and sends through the gateway, checked against the plugin (TestPlugin mode gateway): cancellation
/// that reaches it, its RemoteException details, answers larger than the gateway sends.
/// </summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class PluginSideTests
{
    private const int MaxMessageBytes = 4096;

    private GatewayApp _app = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _app = await GatewayApp.StartAsync(o =>
    {
        o.AllowUnauthenticatedLoopback = true;
        o.Expose("probe");
        o.MaxMessageBytes = MaxMessageBytes;
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _app.DisposeAsync();

    [Test]
    public async Task A_closed_socket_cancels_its_calls_in_the_plugin()
    {
        using (ClientWebSocket socket = await _app.ConnectAsync())
        {
            await socket.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"probe/block","params":["closed-1"]}""");
            await socket.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"probe/block","params":["closed-2"]}""");
            await AssertPluginSaysAsync("started", "closed-1", "started");
            await AssertPluginSaysAsync("started", "closed-2", "started");
            using var timeout = new CancellationTokenSource(GatewayApp.Wait);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        }

        await AssertPluginSaysAsync("cancelled", "closed-1", "cancelled");
        await AssertPluginSaysAsync("cancelled", "closed-2", "cancelled");
    }

    [Test]
    public async Task An_aborted_socket_cancels_its_calls_in_the_plugin()
    {
        using (ClientWebSocket socket = await _app.ConnectAsync())
        {
            await socket.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"probe/block","params":["aborted"]}""");
            await AssertPluginSaysAsync("started", "aborted", "started");
            socket.Abort(); // no close frame: the TCP connection just goes
        }

        await AssertPluginSaysAsync("cancelled", "aborted", "cancelled");
    }

    [Test]
    public async Task CancelRequest_reaches_the_plugin_and_answers_request_cancelled()
    {
        using ClientWebSocket socket = await _app.ConnectAsync();
        await socket.SendAsync("""{"jsonrpc":"2.0","id":"b","method":"probe/block","params":["by-request"]}""");
        await socket.SendAsync("""{"jsonrpc":"2.0","id":"s","method":"probe/started","params":["by-request"]}""");
        JsonElement started = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(started.GetProperty("result").GetString(), Is.EqualTo("started"), started.GetRawText());

        await socket.SendAsync("""{"jsonrpc":"2.0","method":"$/cancelRequest","params":{"id":"b"}}""");
        JsonElement cancelled = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(cancelled.GetProperty("id").GetString(), Is.EqualTo("b"));
        JsonRpcCallTests.AssertError(cancelled, -32800, "CANCELLED");

        // Over the same socket: the plugin's own record that its handler saw the token cancelled.
        await socket.SendAsync("""{"jsonrpc":"2.0","id":"c","method":"probe/cancelled","params":["by-request"]}""");
        JsonElement seen = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(seen.GetProperty("result").GetString(), Is.EqualTo("cancelled"), seen.GetRawText());
    }

    [Test]
    public async Task A_RemoteException_gives_its_code_message_and_details_in_data()
    {
        JsonElement http = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"probe/fail","params":["page-7"]}""");
        AssertDetails(http);

        using ClientWebSocket socket = await _app.ConnectAsync();
        await socket.SendAsync("""{"jsonrpc":"2.0","id":1,"method":"probe/fail","params":["page-7"]}""");
        AssertDetails((await socket.ReceiveJsonAsync())!.Value);

        static void AssertDetails(JsonElement response)
        {
            JsonRpcCallTests.AssertError(response, -32000, "E1001");
            JsonElement error = response.GetProperty("error");
            Assert.That(error.GetProperty("message").GetString(), Does.Contain("not found on purpose"));
            JsonElement details = error.GetProperty("data").GetProperty("details");
            Assert.That(details.GetProperty("id").GetString(), Is.EqualTo("page-7"), response.GetRawText());
            Assert.That(details.GetProperty("field").GetString(), Is.EqualTo("title"), response.GetRawText());
        }
    }

    [Test]
    public async Task An_answer_under_MaxMessageBytes_is_sent()
    {
        JsonElement response = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"probe/big","params":["3000"]}""");
        Assert.That(response.GetProperty("result").GetString(), Has.Length.EqualTo(3000));
    }

    [TestCase("5000", TestName = "Answer too large: the plugin's bytes are over MaxMessageBytes")]
    [TestCase("4000 binary", TestName = "Answer too large: the bytes fit, their JSON (base64) does not")]
    public async Task An_answer_larger_than_the_gateway_sends_is_payload_too_large(string size)
    {
        string request = $$"""{"jsonrpc":"2.0","id":1,"method":"probe/big","params":["{{size}}"]}""";
        JsonElement http = await _app.RpcAsync(request);
        JsonRpcCallTests.AssertError(http, -32005, "PAYLOAD_TOO_LARGE");

        using ClientWebSocket socket = await _app.ConnectAsync();
        await socket.SendAsync(request);
        JsonElement ws = (await socket.ReceiveJsonAsync())!.Value;
        JsonRpcCallTests.AssertError(ws, -32005, "PAYLOAD_TOO_LARGE");

        // The connection lives on.
        await socket.SendAsync("""{"jsonrpc":"2.0","id":2,"method":"probe/big","params":["10"]}""");
        Assert.That((await socket.ReceiveJsonAsync())!.Value.GetProperty("result").GetString(), Is.EqualTo("xxxxxxxxxx"));
    }

    /// <summary>Asks the plugin (over HTTP, another connection) whether <paramref name="tag"/> was started or cancelled in it.</summary>
    private async Task AssertPluginSaysAsync(string question, string tag, string expected)
    {
        JsonElement response = await _app.RpcAsync($$"""{"jsonrpc":"2.0","id":1,"method":"probe/{{question}}","params":["{{tag}}"]}""");
        Assert.That(response.GetProperty("result").GetString(), Is.EqualTo(expected), response.GetRawText());
    }
}
