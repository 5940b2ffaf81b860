using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc;

namespace WebGateway;

/// <summary>Calls the running gateway as an outside client would, over HTTP and WebSocket, and checks each answer.</summary>
internal sealed class SelfTest(IServiceProvider services, Uri rpc, Uri ws, Uri envelope, Uri envelopeWs, string token, Uri dashboard, string dashboardToken)
{
    private static readonly TimeSpan Wait = TimeSpan.FromSeconds(30);

    /// <summary>Runs every step; returns the exit code (0: all worked, 1: a step failed).</summary>
    public async Task<int> RunAsync()
    {
        try
        {
            using var timeout = new CancellationTokenSource(Wait);
            await HttpAsync(timeout.Token);
            await WebSocketAsync(timeout.Token);
            await EnvelopeHttpAsync(timeout.Token);
            await EnvelopeWebSocketAsync(timeout.Token);
            await DashboardAsync(timeout.Token);
        }
        catch (Exception ex) when (ex is SelfTestFailedException or HttpRequestException or WebSocketException or OperationCanceledException or JsonException or KeyNotFoundException or InvalidOperationException)
        {
            Console.WriteLine($"{Environment.NewLine}Something failed: {ex.GetType().Name}: {ex.Message}");
            return 1;
        }

        Console.WriteLine($"{Environment.NewLine}All worked.");
        return 0;
    }

    private async Task HttpAsync(CancellationToken cancellationToken)
    {
        Console.WriteLine($"{Environment.NewLine}HTTP POST {rpc}");
        using var http = new HttpClient();
        string call = """{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["hi"]}""";
        using (HttpResponseMessage anonymous = await http.PostAsync(rpc, Json(call), cancellationToken))
        {
            Expect(anonymous.StatusCode == HttpStatusCode.Unauthorized, $"without the token: {(int)anonymous.StatusCode}", "401 without the token");
        }

        using var request = new HttpRequestMessage(HttpMethod.Post, rpc) { Content = Json(call) };
        request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        using HttpResponseMessage response = await http.SendAsync(request, cancellationToken);
        string text = await response.Content.ReadAsStringAsync(cancellationToken);
        Expect(response.StatusCode == HttpStatusCode.OK && Parse(text).GetProperty("result").GetString() == "hi", text, $"echo/echo \"hi\" -> {text}");
    }

    private async Task WebSocketAsync(CancellationToken cancellationToken)
    {
        Console.WriteLine($"{Environment.NewLine}WebSocket {ws}");
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        await socket.ConnectAsync(ws, cancellationToken);

        JsonElement move = await CallAsync(socket, """{"jsonrpc":"2.0","id":1,"method":"echo/IGreeter.Move","params":[{"X":1,"Y":2},3,4]}""", cancellationToken);
        Expect(move.GetProperty("result").GetProperty("X").GetInt32() == 4, move.GetRawText(), $"a contract call, IGreeter.Move -> {move.GetRawText()}");

        JsonElement batch = await CallAsync(socket, """[{"jsonrpc":"2.0","id":"a","method":"echo/echo","params":["one"]},{"jsonrpc":"2.0","id":"b","method":"echo/bench.move","params":{"Point":{"X":1,"Y":2},"Dx":3,"Dy":4}}]""", cancellationToken);
        Expect(batch.GetArrayLength() == 2 && batch.EnumerateArray().All(r => r.TryGetProperty("result", out _)), batch.GetRawText(), $"a batch of two -> {batch.GetRawText()}");

        JsonElement failed = await CallAsync(socket, """{"jsonrpc":"2.0","id":2,"method":"echo/fail","params":["on purpose"]}""", cancellationToken);
        Expect(ErrorCode(failed) == "TEST_FAILURE", failed.GetRawText(), $"the plugin's error -> {failed.GetRawText()}");

        JsonElement hidden = await CallAsync(socket, """{"jsonrpc":"2.0","id":3,"method":"echo/crash"}""", cancellationToken);
        Expect(ErrorCode(hidden) == "NOT_EXPOSED", hidden.GetRawText(), $"a command not exposed -> {hidden.GetRawText()}");

        JsonElement subscribed = await CallAsync(socket, """{"jsonrpc":"2.0","id":4,"method":"$/subscribe","params":{"topic":"demo.news"}}""", cancellationToken);
        Expect(subscribed.GetProperty("result").GetBoolean(), subscribed.GetRawText(), "$/subscribe demo.news -> true");
        await services.GetRequiredService<IPluginBus>().PublishAsync("demo.news", "hello from the host"u8.ToArray(), cancellationToken);
        JsonElement pushed = await ReceiveAsync(socket, cancellationToken);
        Expect(pushed.GetProperty("params").GetProperty("payload").GetString() == "hello from the host", pushed.GetRawText(), $"a bus message pushed -> {pushed.GetRawText()}");

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cancellationToken);
    }

    private async Task EnvelopeHttpAsync(CancellationToken cancellationToken)
    {
        Console.WriteLine($"{Environment.NewLine}WebChannel envelope, HTTP POST {envelope}");
        using var http = new HttpClient();
        http.DefaultRequestHeaders.Authorization = new AuthenticationHeaderValue("Bearer", token);

        JsonElement created = await PostAsync(http, """{"requestId":"c1","action":"create","pluginId":"pages","pageId":"editor-1","data":{"id":"welcome","title":"Welcome","content":"First words"},"timestamp":0,"version":"1.0"}""", cancellationToken);
        Expect(created.GetProperty("success").GetBoolean() && created.GetProperty("data").GetProperty("version").GetInt32() == 1, created.GetRawText(), "create welcome -> version 1");

        JsonElement again = await PostAsync(http, """{"requestId":"c1","action":"create","pluginId":"pages","pageId":"editor-1","data":{"id":"welcome","title":"Welcome","content":"First words"},"timestamp":0,"version":"1.0"}""", cancellationToken);
        Expect(again.GetProperty("success").GetBoolean(), again.GetRawText(), "the same requestId again -> the first answer, not a second create");

        JsonElement updated = await PostAsync(http, """{"requestId":"u1","action":"update","pluginId":"pages","pageId":"editor-1","data":{"id":"welcome","content":"Second words","version":1}}""", cancellationToken);
        Expect(updated.GetProperty("data").GetProperty("version").GetInt32() == 2, updated.GetRawText(), "update at version 1 -> version 2");

        JsonElement stale = await PostAsync(http, """{"requestId":"u2","action":"update","pluginId":"pages","pageId":"editor-2","data":{"id":"welcome","content":"Stale","version":1}}""", cancellationToken);
        Expect(!stale.GetProperty("success").GetBoolean() && stale.GetProperty("error").GetProperty("code").GetString() == "E1002", stale.GetRawText(), $"a stale version -> E1002 {stale.GetProperty("error").GetProperty("details").GetRawText()}");

        JsonElement missing = await PostAsync(http, """{"requestId":"r1","action":"read","pluginId":"pages","data":{"id":"nowhere"}}""", cancellationToken);
        Expect(missing.GetProperty("error").GetProperty("code").GetString() == "E1001", missing.GetRawText(), "read a page that is not there -> E1001");

        JsonElement unknown = await PostAsync(http, """{"requestId":"x1","action":"read","pluginId":"nobody","data":{}}""", cancellationToken);
        Expect(unknown.GetProperty("error").GetProperty("code").GetString() == "E2001", unknown.GetRawText(), "a plugin that is not there -> E2001");
    }

    private async Task EnvelopeWebSocketAsync(CancellationToken cancellationToken)
    {
        Console.WriteLine($"{Environment.NewLine}WebChannel envelope, WebSocket {envelopeWs}");
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        await socket.ConnectAsync(envelopeWs, cancellationToken);

        JsonElement batch = await CallAsync(socket, """{"requestId":"b1","action":"batch","pluginId":"pages","pageId":"editor-1","data":{"operations":[{"action":"create","data":{"id":"notes","title":"Notes","content":"gateway notes"}},{"action":"read","data":{"id":"welcome"}},{"action":"read","data":{"id":"nowhere"}}]}}""", cancellationToken);
        JsonElement[] results = [.. batch.GetProperty("data").EnumerateArray()];
        Expect(results.Length == 3 && results[0].GetProperty("success").GetBoolean() && results[1].GetProperty("success").GetBoolean() && results[2].GetProperty("error").GetProperty("code").GetString() == "E1001", batch.GetRawText(), "a batch of create, read, read-missing -> ok, ok, E1001");

        JsonElement found = await CallAsync(socket, """{"requestId":"s1","action":"search","pluginId":"pages","pageId":"editor-1","data":{"query":"gateway"}}""", cancellationToken);
        Expect(found.GetProperty("data").GetArrayLength() == 1, found.GetRawText(), $"search \"gateway\" -> {found.GetProperty("data").GetRawText()}");

        JsonElement history = await CallAsync(socket, """{"requestId":"h1","action":"history","pluginId":"pages","pageId":"editor-1","data":{"id":"welcome"}}""", cancellationToken);
        Expect(history.GetProperty("data").GetArrayLength() == 1, history.GetRawText(), "history of welcome -> its version 1");

        JsonElement set = await CallAsync(socket, """{"requestId":"cfg1","action":"set_config","pluginId":"pages","data":{"scope":"user","key":"theme","value":"dark"}}""", cancellationToken);
        JsonElement get = await CallAsync(socket, """{"requestId":"cfg2","action":"get_config","pluginId":"pages","data":{"scope":"user","key":"theme"}}""", cancellationToken);
        Expect(set.GetProperty("success").GetBoolean() && get.GetProperty("data").GetString() == "dark", get.GetRawText(), "set_config then get_config theme (user scope) -> dark");

        await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "done", cancellationToken);
    }

    private async Task DashboardAsync(CancellationToken cancellationToken)
    {
        Console.WriteLine($"{Environment.NewLine}Dashboard {dashboard}");
        using var http = new HttpClient { BaseAddress = dashboard };
        string page = await http.GetStringAsync(string.Empty, cancellationToken);
        Expect(page.Contains("<title>Plugins</title>", StringComparison.Ordinal), page, "the page");

        foreach ((string name, string presented, HttpStatusCode expected) in new[] { ("the gateway's token", token, HttpStatusCode.Unauthorized), ("the dashboard's token", dashboardToken, HttpStatusCode.OK) })
        {
            using var request = new HttpRequestMessage(HttpMethod.Get, "api/plugins");
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", presented);
            using HttpResponseMessage response = await http.SendAsync(request, cancellationToken);
            string text = await response.Content.ReadAsStringAsync(cancellationToken);
            Expect(response.StatusCode == expected, $"{(int)response.StatusCode} {text}", $"api/plugins with {name}: {(int)response.StatusCode}");
            if (expected == HttpStatusCode.OK)
            {
                string[] states = [.. Parse(text).GetProperty("plugins").EnumerateArray().Select(p => $"{p.GetProperty("name").GetString()} {p.GetProperty("state").GetString()}")];
                Expect(states.Contains("echo Running") && states.Contains("pages Running"), text, "  " + string.Join(", ", states));
            }
        }
    }

    private async Task<JsonElement> PostAsync(HttpClient http, string body, CancellationToken cancellationToken)
    {
        using HttpResponseMessage response = await http.PostAsync(envelope, Json(body), cancellationToken);
        return Parse(await response.Content.ReadAsStringAsync(cancellationToken));
    }

    private static async Task<JsonElement> CallAsync(ClientWebSocket socket, string request, CancellationToken cancellationToken)
    {
        await socket.SendAsync(Encoding.UTF8.GetBytes(request), WebSocketMessageType.Text, true, cancellationToken);
        return await ReceiveAsync(socket, cancellationToken);
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket, CancellationToken cancellationToken)
    {
        var buffer = new byte[16 * 1024];
        using var message = new MemoryStream();
        while (true)
        {
            WebSocketReceiveResult result = await socket.ReceiveAsync(buffer, cancellationToken);
            if (result.MessageType == WebSocketMessageType.Close)
            {
                throw new SelfTestFailedException($"the gateway closed the WebSocket: {result.CloseStatus} {result.CloseStatusDescription}");
            }

            message.Write(buffer, 0, result.Count);
            if (result.EndOfMessage)
            {
                return Parse(Encoding.UTF8.GetString(message.ToArray()));
            }
        }
    }

    private static string? ErrorCode(JsonElement response) =>
        response.TryGetProperty("error", out JsonElement error) ? error.GetProperty("data").GetProperty("code").GetString() : null;

    private static JsonElement Parse(string json)
    {
        using JsonDocument document = JsonDocument.Parse(json);
        return document.RootElement.Clone();
    }

    private static StringContent Json(string body) => new(body, Encoding.UTF8, "application/json");

    private static void Expect(bool condition, string got, string done)
    {
        if (!condition)
        {
            throw new SelfTestFailedException("unexpected: " + got);
        }

        Console.WriteLine("  ok: " + done);
    }
}
