using System.Net;
using System.Text.Json;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>JSON-RPC 2.0 over HTTP against real plugins: single calls, notifications, batches, every error path and the payload mapping.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class JsonRpcCallTests
{
    private GatewayApp _app = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _app = await GatewayApp.StartAsync(o =>
    {
        o.AllowUnauthenticatedLoopback = true;
        o.Expose("echo").Expose("greeter-json").Expose("broken").Expose("ghost");
        o.Expose("greeter", "IGreeter.Hello", "IGreeter.Move");
    });

    [OneTimeTearDown]
    public async Task StopAsync() => await _app.DisposeAsync();

    [Test]
    public async Task A_single_call_of_a_text_command_answers_its_text()
    {
        JsonElement response = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["héllo"]}""");
        Assert.That(response.TryGetProperty("result", out _), Is.True, response.GetRawText());
        Assert.That(response.GetProperty("jsonrpc").GetString(), Is.EqualTo("2.0"));
        Assert.That(response.GetProperty("id").GetInt32(), Is.EqualTo(1));
        Assert.That(response.GetProperty("result").GetString(), Is.EqualTo("héllo"));
    }

    [Test]
    public async Task Absent_params_send_an_empty_buffer_and_bytes_travel_as_base64()
    {
        JsonElement empty = await _app.RpcAsync("""{"jsonrpc":"2.0","id":"e","method":"echo/echo"}""");
        Assert.That(empty.GetProperty("result").GetString(), Is.EqualTo(string.Empty));

        JsonElement bytes = await _app.RpcAsync("""{"jsonrpc":"2.0","id":2,"method":"echo/echo","params":{"$base64":"AP8Q"}}""");
        Assert.That(bytes.GetProperty("result").GetProperty("$base64").GetString(), Is.EqualTo("AP8Q"));
    }

    [Test]
    public async Task A_notification_runs_and_gets_no_answer()
    {
        using HttpResponseMessage response = await _app.PostAsync("""{"jsonrpc":"2.0","method":"echo/echo","params":["x"]}""");
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task A_batch_answers_each_call_and_no_notification()
    {
        JsonElement batch = await _app.RpcAsync("""
            [{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["a"]},
             {"jsonrpc":"2.0","method":"echo/echo","params":["n"]},
             5,
             {"jsonrpc":"2.0","id":"b","method":"nothing/here"}]
            """);
        Assert.That(batch.ValueKind, Is.EqualTo(JsonValueKind.Array));
        Assert.That(batch.GetArrayLength(), Is.EqualTo(3));
        JsonElement[] items = [.. batch.EnumerateArray()];
        Assert.That(items.Single(i => i.GetProperty("id").ValueKind == JsonValueKind.Number).GetProperty("result").GetString(), Is.EqualTo("a"));
        Assert.That(items.Single(i => i.GetProperty("id").ValueKind == JsonValueKind.Null).GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32600));
        Assert.That(items.Single(i => i.GetProperty("id").ValueKind == JsonValueKind.String).GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32601));
    }

    [Test]
    public async Task An_empty_batch_is_one_invalid_request_and_a_batch_of_notifications_has_no_answer()
    {
        JsonElement empty = await _app.RpcAsync("[]");
        Assert.That(empty.ValueKind, Is.EqualTo(JsonValueKind.Object));
        AssertError(empty, -32600, "INVALID_REQUEST");
        Assert.That(empty.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.Null));

        using HttpResponseMessage notifications = await _app.PostAsync("""[{"jsonrpc":"2.0","method":"echo/echo"},{"jsonrpc":"2.0","method":"echo/echo"}]""");
        Assert.That(notifications.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
    }

    [Test]
    public async Task A_string_no_reader_can_read_is_a_parse_error_and_nothing_runs()
    {
        // System.Text.Json parses an unpaired surrogate escape (or invalid UTF-8) and throws when it is read: a 500 before.
        AssertError(await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["\ud800"]}"""), -32700, "PARSE_ERROR");
        AssertError(await _app.RpcAsync("""[{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["a"]},{"jsonrpc":"2.0","id":2,"method":"echo/echo","\ud800":0}]"""), -32700, "PARSE_ERROR");
        byte[] notUtf8 = [.. "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"echo/echo\",\"params\":[\""u8, 0xFF, .. "\"]}"u8];
        using var request = new HttpRequestMessage(HttpMethod.Post, "/plugins/rpc") { Content = new ByteArrayContent(notUtf8) };
        request.Content.Headers.ContentType = new System.Net.Http.Headers.MediaTypeHeaderValue("application/json");
        using HttpResponseMessage response = await _app.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), text);
        AssertError(JsonDocument.Parse(text).RootElement, -32700, "PARSE_ERROR");

        // A paired escape is text like any other.
        JsonElement pair = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["\ud83d\ude00"]}""");
        Assert.That(pair.GetProperty("result").GetString(), Is.EqualTo("\U0001F600"), pair.GetRawText());
    }

    [Test]
    public async Task Protocol_errors_parse_and_invalid_request()
    {
        JsonElement parse = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":""");
        AssertError(parse, -32700, "PARSE_ERROR");
        Assert.That(parse.GetProperty("id").ValueKind, Is.EqualTo(JsonValueKind.Null));

        AssertError(await _app.RpcAsync("""{"jsonrpc":"1.0","id":7,"method":"echo/echo"}"""), -32600, "INVALID_REQUEST");
        AssertError(await _app.RpcAsync("""{"jsonrpc":"2.0","id":7,"method":3}"""), -32600, "INVALID_REQUEST");
        AssertError(await _app.RpcAsync("""{"jsonrpc":"2.0","id":7,"method":"echo/echo","params":"x"}"""), -32600, "INVALID_REQUEST");
        AssertError(await _app.RpcAsync("""{"jsonrpc":"2.0","id":{},"method":"echo/echo"}"""), -32600, "INVALID_REQUEST");
    }

    [TestCase("secret/echo", "NOT_EXPOSED", TestName = "Method not found: a plugin not exposed")]
    [TestCase("greeter/IGreeter.Reset", "NOT_EXPOSED", TestName = "Method not found: a command not in the plugin's allow-list")]
    [TestCase("echo/cmd.stop", "NOT_EXPOSED", TestName = "Method not found: PluginIpc's own commands are never callable")]
    [TestCase("echo/bridge.message", "NOT_EXPOSED", TestName = "Method not found: the bridge between a plugin and its owner is not callable")]
    [TestCase("echo/config.get", "NOT_EXPOSED", TestName = "Method not found: the configuration store's commands are not callable")]
    [TestCase("echo/config.reload", "UNKNOWN_COMMAND", TestName = "Method not found: a plugin's own config. command is callable, and this one is not there")]
    [TestCase("ghost/echo", "UNKNOWN_PLUGIN", TestName = "Method not found: an exposed plugin that is not registered")]
    [TestCase("echo/no.such.command", "UNKNOWN_COMMAND", TestName = "Method not found: the plugin has no such command")]
    [TestCase("rpc.discover", "NOT_EXPOSED", TestName = "Method not found: rpc. methods are reserved")]
    public async Task Method_not_found(string method, string code)
    {
        JsonElement response = await _app.RpcAsync($$"""{"jsonrpc":"2.0","id":1,"method":"{{method}}","params":["x"]}""");
        AssertError(response, -32601, code);
    }

    [Test]
    public async Task Invalid_params_from_the_gateway_and_from_the_plugin()
    {
        AssertError(await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["a","b"]}"""), -32602, "INVALID_REQUEST");
        AssertError(await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":{"$base64":"not base64!"}}"""), -32602, "INVALID_REQUEST");
        AssertError(await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/IGreeter.Move","params":{"point":1}}"""), -32602, "INVALID_REQUEST");

        // The plugin itself answers INVALID_REQUEST: sleep takes a number of milliseconds.
        JsonElement plugin = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/sleep","params":["soon"]}""");
        AssertError(plugin, -32602, "INVALID_REQUEST");
        Assert.That(plugin.GetProperty("error").GetProperty("message").GetString(), Does.Contain("milliseconds"));
    }

    [Test]
    public async Task A_plugin_error_carries_the_plugins_code_and_no_stack_trace()
    {
        JsonElement response = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/fail","params":["boom"]}""");
        AssertError(response, -32000, "TEST_FAILURE");
        Assert.That(response.GetProperty("error").GetProperty("message").GetString(), Does.Contain("boom"));

        JsonElement crash = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"greeter-json/probe.Crash","params":[]}""");
        AssertError(crash, -32000, "HANDLER_ERROR");
        Assert.That(crash.GetProperty("error").GetProperty("data").TryGetProperty("details", out _), Is.False);
        Assert.That(crash.GetRawText(), Does.Not.Contain(" at "));
    }

    [Test]
    public async Task A_plugin_that_fails_to_start_is_unavailable()
    {
        JsonElement response = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"broken/echo","params":["x"]}""");
        AssertError(response, -32002, "PLUGIN_UNAVAILABLE");
        Assert.That(response.GetRawText(), Does.Not.Contain("PluginIpc.TestPlugin.dll"), "no paths leak");
    }

    [Test]
    public async Task Contract_calls_take_arguments_by_position_over_msgpack()
    {
        JsonElement move = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/IGreeter.Move","params":[{"X":1,"Y":2},3,4]}""");
        Assert.That(move.GetProperty("result").GetRawText(), Is.EqualTo("""{"X":4,"Y":6}"""));

        JsonElement hello = await _app.RpcAsync("""{"jsonrpc":"2.0","id":2,"method":"greeter/IGreeter.Hello","params":["Ann"]}""");
        Assert.That(hello.GetProperty("result").GetString(), Does.StartWith("Hello, Ann!"));
    }

    [Test]
    public async Task Contract_calls_take_arguments_by_position_over_json()
    {
        JsonElement move = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"greeter-json/IGreeter.Move","params":[{"x":1,"y":2},3,4]}""");
        Assert.That(move.GetProperty("result").GetRawText(), Is.EqualTo("""{"x":4,"y":6}"""));

        JsonElement reset = await _app.RpcAsync("""{"jsonrpc":"2.0","id":2,"method":"greeter-json/IGreeter.Reset"}""");
        Assert.That(reset.GetProperty("result").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task A_typed_command_takes_its_value_as_the_params_object()
    {
        JsonElement move = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/bench.move","params":{"Point":{"X":1,"Y":2},"Dx":3,"Dy":4}}""");
        Assert.That(move.GetProperty("result").GetRawText(), Is.EqualTo("""{"X":4,"Y":6}"""));
    }

    [Test]
    public async Task Numbers_a_msgpack_plugin_cannot_read_are_refused_never_sent_as_nothing()
    {
        // Echo answers its buffer as it came: a value lost on the way would come back as null.
        JsonElement small = await _app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":[[-1, 18446744073709551615, 2.5, "s", true, null, {"a": 1}]]}""");
        Assert.That(small.GetProperty("result").GetRawText(), Is.EqualTo("""[-1,18446744073709551615,2.5,"s",true,null,{"a":1}]"""));

        JsonElement huge = await _app.RpcAsync("""{"jsonrpc":"2.0","id":2,"method":"echo/echo","params":[123456789012345678901234567890]}""");
        AssertError(huge, -32602, ErrorCodes.InvalidRequest);
        Assert.That(huge.GetProperty("error").GetProperty("message").GetString(), Does.Contain("64 bits"));

        JsonElement infinite = await _app.RpcAsync("""{"jsonrpc":"2.0","id":3,"method":"echo/bench.move","params":{"Point":{"X":1e400,"Y":2},"Dx":3,"Dy":4}}""");
        AssertError(infinite, -32602, ErrorCodes.InvalidRequest);
        Assert.That(infinite.GetProperty("error").GetProperty("message").GetString(), Does.Contain("range of a double"));
    }

    internal static void AssertError(JsonElement response, int code, string dataCode)
    {
        Assert.That(response.TryGetProperty("error", out JsonElement error), Is.True, response.GetRawText());
        Assert.That(error.GetProperty("code").GetInt32(), Is.EqualTo(code), response.GetRawText());
        Assert.That(error.GetProperty("data").GetProperty("code").GetString(), Is.EqualTo(dataCode), response.GetRawText());
        Assert.That(response.TryGetProperty("result", out _), Is.False);
    }
}
