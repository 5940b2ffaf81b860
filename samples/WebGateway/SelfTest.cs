using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc;

namespace WebGateway;

/// <summary>Calls the running gateway as an outside client would, over HTTP and WebSocket, and checks each answer.</summary>
internal sealed class SelfTest(IServiceProvider services, Uri rpc, Uri ws, string token)
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
