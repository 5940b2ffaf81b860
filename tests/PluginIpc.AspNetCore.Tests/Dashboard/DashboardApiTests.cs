using System.Net;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.Extensions.Time.Testing;
using PluginIpc.AspNetCore.Dashboard;

namespace PluginIpc.AspNetCore.Tests.Dashboard;

/// <summary>The dashboard's API with real plugin processes: process control, a plugin's detail, the log query and the live socket.</summary>
[TestFixture]
[CancelAfter(90_000)]
public sealed class DashboardApiTests
{
    [Test]
    public async Task StopHoldsThePlugin_StartAndRestartBringItBack()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        Plugin first = await app.Manager().GetAsync("echo");
        int firstProcess = first.ProcessId!.Value;

        JsonElement stopped = await ControlAsync(app, "echo", "stop");
        Assert.That(stopped.GetProperty("state").GetString(), Is.EqualTo("Stopped"));
        Assert.That(stopped.GetProperty("held").GetBoolean(), Is.True);
        PluginStartException? held = Assert.ThrowsAsync<PluginStartException>(() => app.Manager().GetAsync("echo"));
        Assert.That(held!.Message, Does.Contain("was stopped with IPluginManager.StopPluginAsync"));
        using (HttpResponseMessage call = await app.PostAsync("""{"jsonrpc":"2.0","id":1,"method":"echo/echo","params":["hi"]}""", DashboardApp.GatewayToken))
        {
            Assert.That(await call.Content.ReadAsStringAsync(), Does.Contain("\"error\""), "a gateway client does not start a plugin an operator stopped");
        }

        JsonElement started = await ControlAsync(app, "echo", "start");
        Assert.That(started.GetProperty("state").GetString(), Is.EqualTo("Running"));
        int secondProcess = started.GetProperty("processId").GetInt32();
        Assert.That(secondProcess, Is.Not.EqualTo(firstProcess));

        JsonElement restarted = await ControlAsync(app, "echo", "restart");
        Assert.That(restarted.GetProperty("state").GetString(), Is.EqualTo("Running"));
        Assert.That(restarted.GetProperty("processId").GetInt32(), Is.Not.EqualTo(secondProcess));
        JsonElement exits = restarted.GetProperty("exits");
        Assert.That(exits.GetArrayLength(), Is.EqualTo(2), "both stops are in the exit history, across new starts");
        Assert.That(exits[0].GetProperty("expected").GetBoolean(), Is.True);
        Assert.That(exits[1].GetProperty("processId").GetInt32(), Is.EqualTo(firstProcess), "newest first");
    }

    [Test]
    public async Task CallsAndErrors_AreCountedFromTheLibrarysMeters()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        Plugin echo = await app.Manager().GetAsync("echo");
        JsonElement before = await GetJsonAsync(app, "api/plugins/echo"); // made per request (the list is a shared snapshot)

        for (int i = 0; i < 20; i++)
        {
            await echo.CallAsync("echo", "hi");
        }

        Assert.CatchAsync<RemoteException>(() => echo.CallAsync("fail", "on purpose"));
        JsonElement after = await GetJsonAsync(app, "api/plugins/echo"); // a call is measured before its caller resumes

        Assert.That(after.GetProperty("calls").GetInt64() - before.GetProperty("calls").GetInt64(), Is.EqualTo(21));
        Assert.That(after.GetProperty("errors").GetInt64() - before.GetProperty("errors").GetInt64(), Is.EqualTo(1));
    }

    [Test]
    public async Task ControlOfAnUnknownPluginOrAction_IsNotFound()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();

        using HttpResponseMessage plugin = await DashboardHttpTests.Send(app.Http, HttpMethod.Post, DashboardApp.Path + "api/plugins/nobody/start", DashboardApp.Token);
        using HttpResponseMessage action = await DashboardHttpTests.Send(app.Http, HttpMethod.Post, DashboardApp.Path + "api/plugins/echo/explode", DashboardApp.Token);

        Assert.That(plugin.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(await ErrorAsync(plugin), Is.EqualTo("No plugin is named 'nobody'."));
        Assert.That(action.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That(app.Manager().GetState("echo"), Is.EqualTo(PluginState.Created));
    }

    [Test]
    public async Task ACrash_ShowsInTheDetail_WithItsExitCodeAndStderr()
    {
        await using GatewayApp app = await DashboardApp.StartAsync(o => o.Expose("broken"));

        using HttpResponseMessage start = await DashboardHttpTests.Send(app.Http, HttpMethod.Post, DashboardApp.Path + "api/plugins/broken/start", DashboardApp.Token);
        JsonElement detail = await GetJsonAsync(app, "api/plugins/broken");

        Assert.That(start.StatusCode, Is.EqualTo(HttpStatusCode.Conflict), "a plugin that cannot start is a conflict with its reason");
        Assert.That(await ErrorAsync(start), Does.Contain("failed to start"));
        Assert.That(detail.GetProperty("state").GetString(), Is.EqualTo("Failed"));
        Assert.That(detail.GetProperty("lastError").GetString(), Is.Not.Empty);
        Assert.That(detail.GetProperty("exits")[0].GetProperty("exitCode").GetInt32(), Is.EqualTo(5));
    }

    [Test]
    public async Task TheLogQuery_FiltersByLevelAndText_NewestFirst()
    {
        await using GatewayApp app = await DashboardApp.StartAsync(o => o.Expose("probe"));
        Plugin probe = await app.Manager().GetAsync("probe");
        foreach (string line in new[] { "Information|all fine", "Warning|disk low on /var", "Error|disk failed", "Warning|cpu hot" })
        {
            await probe.CallAsync("log", Encoding.UTF8.GetBytes(line));
        }

        await app.Logs.WaitForAsync("cpu hot"); // one plugin's entries arrive in order: the last one means all

        JsonElement warnings = await GetJsonAsync(app, "api/logs?plugin=probe&level=Warning&contains=DISK");
        JsonElement all = await GetJsonAsync(app, "api/logs?plugin=probe&contains=disk&max=1");
        using HttpResponseMessage badLevel = await DashboardHttpTests.Send(app.Http, HttpMethod.Get, DashboardApp.Path + "api/logs?level=loud", DashboardApp.Token);
        using HttpResponseMessage badPlugin = await DashboardHttpTests.Send(app.Http, HttpMethod.Get, DashboardApp.Path + "api/logs?plugin=nobody", DashboardApp.Token);

        string[] messages = [.. warnings.GetProperty("entries").EnumerateArray().Select(e => e.GetProperty("message").GetString()!)];
        Assert.That(messages, Is.EqualTo(new[] { "disk failed", "disk low on /var" }), "Warning and above, containing 'disk' in any case, newest first");
        Assert.That(warnings.GetProperty("entries")[0].GetProperty("level").GetString(), Is.EqualTo("Error"));
        Assert.That(all.GetProperty("entries").GetArrayLength(), Is.EqualTo(1));
        Assert.That(badLevel.StatusCode, Is.EqualTo(HttpStatusCode.BadRequest));
        Assert.That(await ErrorAsync(badLevel), Does.StartWith("'level' must be Trace, Debug"));
        Assert.That(badPlugin.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
    }

    [Test]
    public async Task TheLiveSocket_SendsThePluginsOnChange_AndALiveTail()
    {
        await using GatewayApp app = await DashboardApp.StartAsync(o => o.Expose("probe"));
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + DashboardApp.Token);
        await socket.ConnectAsync(new UriBuilder(app.Address) { Scheme = "ws", Path = DashboardApp.Path + "api/live" }.Uri, CancellationToken.None);

        JsonElement first = await ReceiveAsync(socket, m => m.GetProperty("type").GetString() == "plugins");
        Assert.That(State(first, "probe"), Is.EqualTo("Created"));

        Plugin probe = await app.Manager().GetAsync("probe");
        JsonElement running = await ReceiveAsync(socket, m => m.GetProperty("type").GetString() == "plugins" && State(m, "probe") == "Running");
        Assert.That(running.GetProperty("plugins").EnumerateArray().Single(p => p.GetProperty("name").GetString() == "probe").GetProperty("processId").GetInt32(), Is.EqualTo(probe.ProcessId));

        await socket.SendAsync("""{"type":"logs","query":{"plugin":"probe","contains":"tail me"}}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        await probe.CallAsync("log", "Information|please tail me"u8.ToArray());
        JsonElement tail = await ReceiveAsync(socket, m => m.GetProperty("type").GetString() == "logs" && m.GetProperty("entries").GetArrayLength() == 1);
        Assert.That(tail.GetProperty("entries")[0].GetProperty("message").GetString(), Is.EqualTo("please tail me"));

        await socket.SendAsync("""{"type":"logs","query":{"level":"loud"}}"""u8.ToArray(), WebSocketMessageType.Text, true, CancellationToken.None);
        JsonElement error = await ReceiveAsync(socket, m => m.TryGetProperty("error", out _));
        Assert.That(error.GetProperty("error").GetString(), Does.Contain("'level' must be"));
    }

    [Test]
    public async Task TheLiveSocket_ATailLargerThanTheSendQueue_IsTruncated_NotCutOff()
    {
        // 40 entries of about 500 bytes: the tail must fit an empty queue of 16 KiB, marked truncated.
        string filler = new('x', 480);
        (JsonElement tail, WebSocketState state) = await TailWithASmallSendQueueAsync(
            Enumerable.Range(0, 40).Select(i => $"big tail {i} {filler}"), """{"plugin":"probe","contains":"big tail","max":1000}""");

        Assert.That(tail.GetProperty("truncated").GetBoolean(), Is.True);
        Assert.That(tail.GetProperty("entries").GetArrayLength(), Is.InRange(1, 39));
        Assert.That(state, Is.EqualTo(WebSocketState.Open));
    }

    [Test]
    public async Task TheLiveSocket_AnEntryLargerThanTheSendQueue_IsLeftOut_NotCutOff()
    {
        // One entry of 4,000 '<', each escaped to 6 bytes: 24 KB, over a send queue of 16 KiB however few entries are sent.
        (JsonElement tail, WebSocketState state) = await TailWithASmallSendQueueAsync(
            ["huge entry " + new string('<', 4000)], """{"plugin":"probe","contains":"huge entry"}""");

        Assert.That(tail.GetProperty("truncated").GetBoolean(), Is.True);
        Assert.That(tail.GetProperty("entries").GetArrayLength(), Is.Zero);
        Assert.That(state, Is.EqualTo(WebSocketState.Open));
    }

    [Test]
    public async Task TheLiveTailCache_RefreshesAStaleQuery_WithoutEvictingAnother()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        var clock = new FakeTimeProvider();
        using var figures = new DashboardFigures(app.Manager(), null, clock);
        var state = new DashboardState(app.Manager(), figures, clock);
        for (int i = 0; i < DashboardState.MaxTailQueries; i++)
        {
            state.Tail(new PluginLogQuery { Contains = "query " + i });
        }

        clock.Advance(DashboardState.TailMaxAge);
        state.Tail(new PluginLogQuery { Contains = "query 5" });

        Assert.That(state.KeptTails, Is.EqualTo(DashboardState.MaxTailQueries));
    }

    [Test]
    public async Task AnUnknownPluginsName_IsNotEchoedBackWhole()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        string name = new('n', 4096); // the request line stays under Kestrel's 8 KiB
        using HttpResponseMessage response = await DashboardHttpTests.Send(app.Http, HttpMethod.Get, DashboardApp.Path + "api/logs?plugin=" + name, DashboardApp.Token);

        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.NotFound));
        Assert.That((await response.Content.ReadAsStringAsync()).Length, Is.LessThan(1024));
    }

    [Test]
    public async Task TheLiveSocket_NeedsTheTokenOrASession()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        using var socket = new ClientWebSocket();

        WebSocketException? refused = Assert.ThrowsAsync<WebSocketException>(() =>
            socket.ConnectAsync(new UriBuilder(app.Address) { Scheme = "ws", Path = DashboardApp.Path + "api/live" }.Uri, CancellationToken.None));
        Assert.That(refused!.Message, Does.Contain("401"));
    }

    [Test]
    public async Task SigningOut_ClosesTheSessionsLiveSocket()
    {
        await using GatewayApp app = await DashboardApp.StartAsync();
        var cookies = new CookieContainer();
        using var client = new HttpClient(new HttpClientHandler { CookieContainer = cookies }) { BaseAddress = new Uri(app.Address, DashboardApp.Path) };
        using (HttpResponseMessage signIn = await DashboardHttpTests.SignInAsync(client, DashboardApp.Token))
        {
            Assert.That(signIn.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        using var socket = new ClientWebSocket();
        socket.Options.Cookies = cookies;
        await socket.ConnectAsync(new UriBuilder(app.Address) { Scheme = "ws", Path = DashboardApp.Path + "api/live" }.Uri, CancellationToken.None);
        await ReceiveAsync(socket, m => m.GetProperty("type").GetString() == "plugins");

        using (HttpResponseMessage signOut = await client.DeleteAsync("api/session"))
        {
            Assert.That(signOut.StatusCode, Is.EqualTo(HttpStatusCode.NoContent));
        }

        // The socket holds the cookie it opened with; the server checks it again every 2 s and closes with 4001.
        using var timeout = new CancellationTokenSource(GatewayApp.Wait);
        byte[] buffer = new byte[1 << 16];
        ValueWebSocketReceiveResult result;
        do
        {
            result = await socket.ReceiveAsync(buffer.AsMemory(), timeout.Token);
        }
        while (result.MessageType != WebSocketMessageType.Close);

        Assert.That((int?)socket.CloseStatus, Is.EqualTo(4001), "the code the page reads as: sign in again");
        Assert.That(socket.CloseStatusDescription, Is.EqualTo("the session ended"));
    }

    private static async Task<string?> ErrorAsync(HttpResponseMessage response) =>
        JsonDocument.Parse(await response.Content.ReadAsStringAsync()).RootElement.GetProperty("error").GetString();

    private static string? State(JsonElement plugins, string name) =>
        plugins.GetProperty("plugins").EnumerateArray().SingleOrDefault(p => p.GetProperty("name").GetString() == name) is { ValueKind: JsonValueKind.Object } plugin
            ? plugin.GetProperty("state").GetString()
            : null;

    /// <summary>
    /// With sockets whose send queue is 16 KiB, has the probe plugin log <paramref name="messages"/> (Information), tails
    /// <paramref name="query"/> on a new live socket, and returns the first result and the socket's state after it.
    /// </summary>
    private static async Task<(JsonElement Tail, WebSocketState State)> TailWithASmallSendQueueAsync(IEnumerable<string> messages, string query)
    {
        await using GatewayApp app = await DashboardApp.StartAsync(o =>
        {
            o.Expose("probe");
            o.MaxMessageBytes = 16 * 1024;
            o.MaxSendQueueBytes = 16 * 1024;
        });
        Plugin probe = await app.Manager().GetAsync("probe");
        string last = "";
        foreach (string message in messages)
        {
            await probe.CallAsync("log", Encoding.UTF8.GetBytes("Information|" + message));
            last = message;
        }

        await app.Logs.WaitForAsync(last); // one plugin's entries arrive in order: the last one means all
        using var socket = new ClientWebSocket();
        socket.Options.SetRequestHeader("Authorization", "Bearer " + DashboardApp.Token);
        await socket.ConnectAsync(new UriBuilder(app.Address) { Scheme = "ws", Path = DashboardApp.Path + "api/live" }.Uri, CancellationToken.None);
        await socket.SendAsync(Encoding.UTF8.GetBytes($$"""{"type":"logs","query":{{query}}}"""), WebSocketMessageType.Text, true, CancellationToken.None);
        JsonElement tail = await ReceiveAsync(socket, m => m.GetProperty("type").GetString() == "logs");
        return (tail, socket.State);
    }

    private static async Task<JsonElement> ReceiveAsync(ClientWebSocket socket, Func<JsonElement, bool> wanted)
    {
        using var timeout = new CancellationTokenSource(GatewayApp.Wait);
        byte[] buffer = new byte[1 << 20];
        while (true)
        {
            int count = 0;
            ValueWebSocketReceiveResult result;
            do
            {
                result = await socket.ReceiveAsync(buffer.AsMemory(count), timeout.Token);
                count += result.Count;
            }
            while (!result.EndOfMessage);

            Assert.That(result.MessageType, Is.EqualTo(WebSocketMessageType.Text));
            JsonElement message = JsonDocument.Parse(buffer.AsMemory(0, count)).RootElement.Clone();
            if (wanted(message))
            {
                return message;
            }
        }
    }

    private static async Task<JsonElement> ControlAsync(GatewayApp app, string plugin, string action)
    {
        using HttpResponseMessage response = await DashboardHttpTests.Send(app.Http, HttpMethod.Post, DashboardApp.Path + $"api/plugins/{plugin}/{action}", DashboardApp.Token);
        string body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }

    private static async Task<JsonElement> GetJsonAsync(GatewayApp app, string path)
    {
        using HttpResponseMessage response = await DashboardHttpTests.Send(app.Http, HttpMethod.Get, DashboardApp.Path + path, DashboardApp.Token);
        string body = await response.Content.ReadAsStringAsync();
        Assert.That(response.StatusCode, Is.EqualTo(HttpStatusCode.OK), body);
        return JsonDocument.Parse(body).RootElement.Clone();
    }
}
