using System.Net;
using System.Net.WebSockets;
using System.Text.Json;
using static PluginIpc.AspNetCore.Tests.WebChannel.WebChannelApp;

namespace PluginIpc.AspNetCore.Tests.WebChannel;

/// <summary>The envelope over HTTP and WebSocket against real plugins: the response's shape, validation, and every error code path.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class WebChannelCallTests
{
    private WebChannelApp _app = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _app = await WebChannelApp.StartAsync(o => o.CallTimeout = TimeSpan.FromSeconds(3));

    [OneTimeTearDown]
    public async Task StopAsync() => await _app.DisposeAsync();

    [Test]
    public async Task An_action_calls_the_plugins_command_with_data_as_one_value_over_HTTP_and_WebSocket()
    {
        string id = NewId();
        JsonElement http = await _app.PostAsync(Envelope(id, "echo", "wc", "p1", """{"title":"héllo","n":[1,2]}"""));
        AssertSuccess(http);
        Assert.That(http.GetProperty("requestId").GetString(), Is.EqualTo(id));
        Assert.That(http.GetProperty("data").GetProperty("title").GetString(), Is.EqualTo("héllo"));
        Assert.That(http.GetProperty("data").GetProperty("n").GetArrayLength(), Is.EqualTo(2));

        // A string is one typed value too (a JSON string), not text; absent data is an empty buffer.
        JsonElement text = await _app.PostAsync(Envelope(NewId(), "echo", "wc", data: "\"just text\""));
        Assert.That(text.GetProperty("data").GetString(), Is.EqualTo("just text"));
        JsonElement empty = await _app.PostAsync(Envelope(NewId(), "echo", "wc"));
        Assert.That(empty.GetProperty("data").GetString(), Is.EqualTo("(empty)"));

        using ClientWebSocket socket = await _app.ConnectAsync();
        string wsId = NewId();
        JsonElement ws = await RequestAsync(socket, Envelope(wsId, "echo", "wc", "p1", "[true,null]"));
        AssertSuccess(ws);
        Assert.That(ws.GetProperty("requestId").GetString(), Is.EqualTo(wsId));
        Assert.That(ws.GetProperty("data").GetRawText(), Is.EqualTo("[true,null]"));
    }

    [Test]
    public async Task A_msgpack_plugin_gets_data_converted_and_its_answer_back_as_JSON()
    {
        // EchoPlugin speaks msgpack: its typed command answers the value it got.
        JsonElement response = await _app.PostAsync(Envelope(NewId(), "echo", "echo", data: "\"abc\""));
        AssertSuccess(response);
        Assert.That(response.GetProperty("data").GetString(), Is.EqualTo("abc"));
    }

    [Test]
    public async Task The_plugin_gets_the_request_and_page_ids_as_headers()
    {
        string id = NewId();
        JsonElement response = await _app.PostAsync(Envelope(id, "headers", "wc", "page-7"));
        AssertSuccess(response);
        Assert.That(response.GetProperty("data").TryGetProperty("webchannel.requestId", out JsonElement requestId), Is.True, response.GetRawText());
        Assert.That(requestId.GetString(), Is.EqualTo(id));
        Assert.That(response.GetProperty("data").GetProperty("webchannel.pageId").GetString(), Is.EqualTo("page-7"));
    }

    [TestCase("not json", "$", TestName = "E0002: not JSON")]
    [TestCase("[1]", "$", TestName = "E0002: not an object")]
    [TestCase("""{"requestId":"\ud800","action":"echo","pluginId":"wc"}""", "$", TestName = "E0002: a string with an unpaired surrogate escape")]
    [TestCase("""{"action":"echo","pluginId":"wc"}""", "requestId", TestName = "E0002: no requestId")]
    [TestCase("""{"requestId":"","action":"echo"}""", "requestId", TestName = "E0002: an empty requestId")]
    [TestCase("""{"requestId":7,"action":"echo"}""", "requestId", TestName = "E0002: a requestId that is not a string")]
    [TestCase("""{"requestId":"x","action":5,"pluginId":"wc"}""", "action", TestName = "E0002: an action that is not a string")]
    [TestCase("""{"requestId":"x","pluginId":"wc"}""", "action", TestName = "E0002: no action")]
    [TestCase("""{"requestId":"x","action":"echo","pluginId":3}""", "pluginId", TestName = "E0002: a pluginId that is not a string")]
    [TestCase("""{"requestId":"x","action":"echo","pluginId":"wc","pageId":{}}""", "pageId", TestName = "E0002: a pageId that is not a string")]
    [TestCase("""{"requestId":"x","action":"echo","pluginId":"wc","timestamp":"now"}""", "timestamp", TestName = "E0002: a timestamp that is not a number")]
    [TestCase("""{"requestId":"x","action":"echo","pluginId":"wc","version":"2.0"}""", "version", TestName = "E0002: another major version")]
    public async Task A_malformed_envelope_is_E0002_naming_the_field(string body, string field)
    {
        JsonElement response = await _app.PostAsync(body.Replace("\"x\"", "\"" + NewId() + "\"", StringComparison.Ordinal));
        JsonElement error = AssertError(response, "E0002");
        Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo(field));
    }

    [Test]
    public async Task An_envelope_with_an_unreadable_string_is_answered_E0002_on_the_socket_which_goes_on()
    {
        // System.Text.Json parses an unpaired surrogate escape, then throws when it is read: the request was left unanswered.
        using ClientWebSocket socket = await _app.ConnectAsync();
        using var timeout = new CancellationTokenSource(GatewayApp.Wait);
        JsonElement response = await RequestAsync(socket, """{"requestId":"\ud800","action":"echo","pluginId":"wc"}""").WaitAsync(timeout.Token);
        AssertError(response, "E0002");
        Assert.That(response.GetProperty("requestId").ValueKind, Is.EqualTo(JsonValueKind.Null));
        AssertSuccess(await RequestAsync(socket, Envelope(NewId(), "echo", "wc", data: "2")).WaitAsync(timeout.Token));
    }

    [Test]
    public async Task A_requestId_of_129_characters_is_E0002_and_a_readable_one_is_echoed()
    {
        JsonElement tooLong = await _app.PostAsync(Envelope(new string('r', 129), "echo", "wc"));
        AssertError(tooLong, "E0002");
        Assert.That(tooLong.GetProperty("requestId").ValueKind, Is.EqualTo(JsonValueKind.Null));

        string id = NewId();
        JsonElement badAction = await _app.PostAsync($$"""{"requestId":"{{id}}","action":""}""");
        AssertError(badAction, "E0002");
        Assert.That(badAction.GetProperty("requestId").GetString(), Is.EqualTo(id));
    }

    [TestCase("secret", "echo", "E2001", TestName = "E2001: a plugin not exposed")]
    [TestCase("ghost", "echo", "E2001", TestName = "E2001: an exposed plugin that is not registered")]
    [TestCase("broken", "echo", "E2002", TestName = "E2002: a plugin that fails to start")]
    [TestCase("limited", "count", "E0003", TestName = "E0003: a command not in the plugin's allow-list")]
    [TestCase("wc", "cmd.stop", "E0003", TestName = "E0003: PluginIpc's own commands")]
    [TestCase("wc", "onInit", "E0003", TestName = "E0003: a lifecycle message is the gateway's to send")]
    [TestCase("wc", "no.such.command", "E0002", TestName = "E0002: the plugin has no such command")]
    public async Task Errors_of_the_plugin_and_command(string plugin, string action, string code)
    {
        JsonElement response = await _app.PostAsync(Envelope(NewId(), action, plugin, data: "{}"));
        AssertError(response, code);
        Assert.That(response.GetRawText(), Does.Not.Contain("PluginIpc.TestPlugin.dll"), "no paths leak");
    }

    [Test]
    public async Task An_answer_JSON_cannot_carry_is_answered_E2003_over_HTTP_and_WebSocket_and_the_connection_goes_on()
    {
        // probe speaks msgpack and answers [1, NaN]: a double JSON has no way to write.
        JsonElement http = await _app.PostAsync(Envelope(NewId(), "nan", "probe", data: "0"));
        Assert.That(AssertError(http, "E2003").GetProperty("details").GetProperty("code").GetString(), Is.EqualTo("INTERNAL"));

        using ClientWebSocket socket = await _app.ConnectAsync();
        string id = NewId();
        using (var timeout = new CancellationTokenSource(GatewayApp.Wait))
        {
            JsonElement ws = await RequestAsync(socket, Envelope(id, "nan", "probe", data: "[1]")).WaitAsync(timeout.Token);
            Assert.That(ws.GetProperty("requestId").GetString(), Is.EqualTo(id));
            AssertError(ws, "E2003");
        }

        AssertSuccess(await RequestAsync(socket, Envelope(NewId(), "echo", "echo", data: "2.5")));

        // JSON-RPC gets an error object too.
        JsonElement rpc = await _app.Gateway.RpcAsync("""{"jsonrpc":"2.0","id":7,"method":"probe/nan","params":[0]}""");
        Assert.That(rpc.GetProperty("id").GetInt32(), Is.EqualTo(7));
        Assert.That(rpc.GetProperty("error").GetProperty("data").GetProperty("code").GetString(), Is.EqualTo("INTERNAL"), rpc.GetRawText());
    }

    [TestCase("page_ready", null, TestName = "E0003: page_ready to a plugin exposed for some commands only")]
    [TestCase("data_changed", """{"changeType":"edit","data":{"x":1}}""", TestName = "E0003: data_changed to a plugin exposed for some commands only")]
    [TestCase("page_destroy", null, TestName = "E0003: page_destroy to a plugin exposed for some commands only")]
    public async Task Page_actions_need_the_action_in_the_plugins_allow_list(string action, string? data)
    {
        // limited is exposed for echo only: it hears nothing of pages (a wholesale-exposed plugin does, see the pages tests).
        JsonElement response = await _app.PostAsync(Envelope(NewId(), action, "limited", "p1", data));
        Assert.That(AssertError(response, "E0003").GetProperty("details").GetProperty("code").GetString(), Is.EqualTo("NOT_EXPOSED"));
    }

    [TestCase("onInit")]
    [TestCase("onPageReady")]
    [TestCase("onDataChanged")]
    [TestCase("onBeforeDestroy")]
    [TestCase("onDestroy")]
    public async Task Lifecycle_commands_are_not_callable_over_JSON_RPC_even_when_the_plugin_is_exposed_wholesale(string cmd)
    {
        JsonElement response = await _app.Gateway.RpcAsync($$$"""{"jsonrpc":"2.0","id":1,"method":"wc/{{{cmd}}}","params":{"pageId":"p1"}}""");
        Assert.That(response.TryGetProperty("result", out _), Is.False, response.GetRawText());
        Assert.That(response.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32601), response.GetRawText());
        Assert.That(response.GetProperty("error").GetProperty("data").GetProperty("code").GetString(), Is.EqualTo("NOT_EXPOSED"));
    }

    [TestCase("E1001", "E1001", TestName = "E1001 raised by the plugin passes as is")]
    [TestCase("E1002", "E1002", TestName = "E1002 raised by the plugin passes as is")]
    [TestCase("E1003", "E1003", TestName = "E1003 raised by the plugin passes as is")]
    [TestCase("E4242", "E4242", TestName = "Any E-code raised by the plugin passes as is")]
    [TestCase("CANCELLED", "E3003", TestName = "E3003: the plugin answered CANCELLED")]
    [TestCase("SHUTTING_DOWN", "E3003", TestName = "E3003: the plugin is shutting down")]
    [TestCase("FORBIDDEN", "E0003", TestName = "E0003: the plugin answered FORBIDDEN")]
    [TestCase("INVALID_REQUEST", "E0002", TestName = "E0002: the plugin answered INVALID_REQUEST")]
    [TestCase("PAYLOAD_TOO_LARGE", "E2003", TestName = "E2003: a plugin code without a mapping of its own")]
    [TestCase("MY_OWN_CODE", "E2003", TestName = "E2003: a plugin's own code")]
    public async Task A_code_the_plugin_raises_is_mapped(string raised, string code)
    {
        JsonElement response = await _app.PostAsync(Envelope(NewId(), "raise", "wc", data: $$$"""{"code":"{{{raised}}}","message":"it says {{{raised}}}","details":{"field":"title"}}"""));
        JsonElement error = AssertError(response, code);
        if (raised.StartsWith('E'))
        {
            Assert.That(error.GetProperty("message").GetString(), Is.EqualTo("it says " + raised));
            Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("title"));
        }
        else if (raised is not ("CANCELLED" or "SHUTTING_DOWN"))
        {
            Assert.That(error.GetProperty("details").GetProperty("code").GetString(), Is.EqualTo(raised));
        }
    }

    [Test]
    public async Task E2003_a_handler_that_throws_keeps_HANDLER_ERROR_and_no_stack_trace()
    {
        JsonElement error = AssertError(await _app.PostAsync(Envelope(NewId(), "throw", "wc")), "E2003");
        Assert.That(error.GetProperty("details").GetProperty("code").GetString(), Is.EqualTo("HANDLER_ERROR"));
        Assert.That(error.GetRawText(), Does.Not.Contain(" at "));
    }

    [Test]
    public async Task E3001_the_plugin_does_not_answer_in_time()
    {
        JsonElement error = AssertError(await _app.PostAsync(Envelope(NewId(), "slow", "wc", data: """{"ms":20000}""")), "E3001");
        Assert.That(error.GetProperty("details").GetProperty("code").GetString(), Is.EqualTo("TIMEOUT"));
    }

    [Test]
    public async Task E3002_more_requests_in_flight_than_a_connection_may_have()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync(o => o.MaxCallsInFlightPerConnection = 1);
        using ClientWebSocket socket = await app.ConnectAsync();
        string waiting = NewId();
        await socket.SendAsync(Envelope(waiting, "gate.wait", "wc"));
        // The connection reads its messages in order: gate.wait is in flight when the next one arrives.
        string second = NewId();
        JsonElement busy = await RequestAsync(socket, Envelope(second, "echo", "wc"));
        Assert.That(busy.GetProperty("requestId").GetString(), Is.EqualTo(second));
        AssertError(busy, "E3002");

        AssertSuccess(await app.PostAsync(Envelope(NewId(), "gate.open", "wc")));
        JsonElement first = (await socket.ReceiveJsonAsync())!.Value;
        Assert.That(first.GetProperty("requestId").GetString(), Is.EqualTo(waiting));
        AssertSuccess(first);
    }

    [Test]
    public async Task Refusals_before_the_envelope_is_read_keep_their_status_and_carry_an_envelope()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync(o =>
        {
            o.AllowUnauthenticatedLoopback = false;
            o.BearerToken = "0123456789abcdef-token";
            o.MaxMessageBytes = 1024;
        });

        (HttpStatusCode status, JsonElement response) = await app.PostRawAsync(Envelope(NewId(), "echo", "wc"));
        Assert.That(status, Is.EqualTo(HttpStatusCode.Unauthorized));
        AssertError(response, "E0003");
        Assert.That(response.GetProperty("requestId").ValueKind, Is.EqualTo(JsonValueKind.Null));

        (status, response) = await app.PostRawAsync(Envelope(NewId(), "echo", "wc", data: "\"" + new string('x', 2000) + "\""), "0123456789abcdef-token");
        Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        AssertError(response, "E0002");

        // Without a length (chunked) the server's own body limit meets it first: the same answer, not the server's bare 413.
        (status, response) = await app.PostRawAsync(Envelope(NewId(), "echo", "wc", data: "\"" + new string('x', 64 * 1024) + "\""), "0123456789abcdef-token", chunked: true);
        Assert.That(status, Is.EqualTo(HttpStatusCode.RequestEntityTooLarge));
        AssertError(response, "E0002");

        (status, response) = await app.PostRawAsync(Envelope(NewId(), "echo", "wc"), "0123456789abcdef-token", "text/plain");
        Assert.That(status, Is.EqualTo(HttpStatusCode.UnsupportedMediaType));
        AssertError(response, "E0002");

        (status, response) = await app.PostRawAsync(Envelope(NewId(), "echo", "wc", data: "1"), "0123456789abcdef-token");
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK));
        AssertSuccess(response);

        var refused = Assert.ThrowsAsync<WebSocketException>(async () => (await app.ConnectAsync()).Dispose());
        Assert.That(refused!.Message, Does.Contain("401"));
        using ClientWebSocket socket = await app.ConnectAsync("0123456789abcdef-token");
        AssertSuccess(await RequestAsync(socket, Envelope(NewId(), "echo", "wc", data: "2")));
    }

    [Test]
    public async Task A_WebSocket_message_that_is_not_JSON_is_answered_E0002_and_the_connection_stays()
    {
        using ClientWebSocket socket = await _app.ConnectAsync();
        JsonElement response = await RequestAsync(socket, "{{{");
        AssertError(response, "E0002");
        AssertSuccess(await RequestAsync(socket, Envelope(NewId(), "echo", "wc", data: "3")));
    }
}
