using System.Net;
using System.Net.Http.Headers;
using System.Net.WebSockets;
using System.Text;
using System.Text.Json;
using Microsoft.AspNetCore.Builder;
using Microsoft.Extensions.DependencyInjection;

namespace PluginIpc.AspNetCore.Tests.WebChannel;

/// <summary>
/// A <see cref="GatewayApp"/> with the WebChannel plugins: wc and wc2 (TestPlugin mode webchannel, wc2 declaring only
/// custom_event), pages (the PagesPlugin sample on a database of its own), a configuration store in a folder of its own,
/// and the envelope's clients over HTTP and WebSocket.
/// </summary>
internal sealed class WebChannelApp : IAsyncDisposable
{
    private bool _stopped;

    private WebChannelApp(GatewayApp app, string folder)
    {
        Gateway = app;
        Folder = folder;
    }

    public GatewayApp Gateway { get; }

    /// <summary>Gets the folder of the app's files: config/, pages.db, and each plugin's log (wc.log, wc2.log).</summary>
    public string Folder { get; }

    public static async Task<WebChannelApp> StartAsync(Action<PluginGatewayOptions>? configure = null, Action<WebApplicationBuilder>? build = null, Action<IEndpointConventionBuilder>? map = null)
    {
        string folder = Path.Combine(Path.GetTempPath(), "wc-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        GatewayApp app = await GatewayApp.StartAsync(
            o =>
            {
                o.AllowUnauthenticatedLoopback = true;
                o.Expose("wc").Expose("wc2").Expose("pages").Expose("echo").Expose("broken").Expose("ghost");
                o.Expose("limited", "echo");
                o.Expose("probe", "nan");
                configure?.Invoke(o);
            },
            builder =>
            {
                builder.Services.AddPluginIpc(o => o.Config.Directory = Path.Combine(folder, "config"));
                builder.Services.AddPlugin("wc", o =>
                {
                    GatewayApp.Dotnet(o, GatewayApp.PluginPath("TestPlugin"), "webchannel", "name=wc", "log=" + Path.Combine(folder, "wc.log"));
                    o.Framer = "msgpack"; // carries headers; wc2 and limited keep the default text framing
                    o.Serializer = new JsonPluginSerializer(); // the bus's wire format (sys.config.changed) is the plugin's
                });
                builder.Services.AddPlugin("wc2", o =>
                {
                    GatewayApp.Dotnet(o, GatewayApp.PluginPath("TestPlugin"), "webchannel", "name=wc2", "events=custom_event", "log=" + Path.Combine(folder, "wc2.log"));
                    o.Serializer = new JsonPluginSerializer();
                });
                builder.Services.AddPlugin("limited", o => GatewayApp.Dotnet(o, GatewayApp.PluginPath("TestPlugin"), "webchannel", "name=limited"));
                builder.Services.AddPlugin("pages", o => GatewayApp.Dotnet(o, GatewayApp.PluginPath("PagesPlugin"), "--db", Path.Combine(folder, "pages.db")));
                build?.Invoke(builder);
            },
            map);
        return new WebChannelApp(app, folder);
    }

    /// <summary>Returns an envelope; <paramref name="data"/> is raw JSON (omitted when null).</summary>
    public static string Envelope(string requestId, string action, string? pluginId = null, string? pageId = null, string? data = null)
    {
        var text = new StringBuilder();
        text.Append("{\"requestId\":").Append(JsonSerializer.Serialize(requestId)).Append(",\"action\":").Append(JsonSerializer.Serialize(action));
        if (pluginId is not null)
        {
            text.Append(",\"pluginId\":").Append(JsonSerializer.Serialize(pluginId));
        }

        if (pageId is not null)
        {
            text.Append(",\"pageId\":").Append(JsonSerializer.Serialize(pageId));
        }

        if (data is not null)
        {
            text.Append(",\"data\":").Append(data);
        }

        return text.Append(",\"timestamp\":1700000000000,\"version\":\"1.0\"}").ToString();
    }

    public static string NewId() => Guid.NewGuid().ToString("N");

    /// <summary>POSTs <paramref name="body"/> to /plugins/webchannel (with no length when <paramref name="chunked"/>) and returns the status and the response's JSON.</summary>
    public async Task<(HttpStatusCode Status, JsonElement Response)> PostRawAsync(string body, string? token = null, string contentType = "application/json", bool chunked = false)
    {
        using var request = new HttpRequestMessage(HttpMethod.Post, "/plugins/webchannel") { Content = new StringContent(body, Encoding.UTF8) };
        request.Content.Headers.ContentType = new MediaTypeHeaderValue(contentType);
        request.Headers.TransferEncodingChunked = chunked;
        if (token is not null)
        {
            request.Headers.Authorization = new AuthenticationHeaderValue("Bearer", token);
        }

        using HttpResponseMessage response = await Gateway.Http.SendAsync(request);
        string text = await response.Content.ReadAsStringAsync();
        return (response.StatusCode, JsonDocument.Parse(text).RootElement.Clone());
    }

    /// <summary>POSTs <paramref name="body"/> and returns the response (200 expected).</summary>
    public async Task<JsonElement> PostAsync(string body)
    {
        (HttpStatusCode status, JsonElement response) = await PostRawAsync(body);
        Assert.That(status, Is.EqualTo(HttpStatusCode.OK), response.GetRawText());
        return response;
    }

    /// <summary>Opens a WebSocket to /plugins/webchannel/ws.</summary>
    public async Task<ClientWebSocket> ConnectAsync(string? token = null)
    {
        var socket = new ClientWebSocket();
        if (token is not null)
        {
            socket.Options.SetRequestHeader("Authorization", "Bearer " + token);
        }

        var uri = new UriBuilder(Gateway.Address) { Scheme = "ws", Path = "/plugins/webchannel/ws" }.Uri;
        using var timeout = new CancellationTokenSource(GatewayApp.Wait);
        await socket.ConnectAsync(uri, timeout.Token);
        return socket;
    }

    /// <summary>Sends one envelope on <paramref name="socket"/> and returns the next response.</summary>
    public static async Task<JsonElement> RequestAsync(ClientWebSocket socket, string envelope)
    {
        await socket.SendAsync(envelope);
        JsonElement? response = await socket.ReceiveJsonAsync();
        Assert.That(response, Is.Not.Null, "the server closed the connection");
        return response!.Value;
    }

    /// <summary>Returns what plugin <paramref name="plugin"/> recorded, once it has at least <paramref name="count"/> records.</summary>
    public async Task<string[]> SeenAsync(string plugin, int count)
    {
        JsonElement response = await PostAsync(Envelope(NewId(), "seen", plugin, data: $$"""{"count":{{count}}}"""));
        AssertSuccess(response);
        return [.. response.GetProperty("data").EnumerateArray().Select(e => e.GetString()!)];
    }

    public static void AssertSuccess(JsonElement response)
    {
        Assert.That(response.GetProperty("success").GetBoolean(), Is.True, response.GetRawText());
        Assert.That(response.GetProperty("error").ValueKind, Is.EqualTo(JsonValueKind.Null), response.GetRawText());
        Assert.That(response.GetProperty("version").GetString(), Is.EqualTo("1.0"));
        Assert.That(response.GetProperty("timestamp").GetInt64(), Is.EqualTo(DateTimeOffset.UtcNow.ToUnixTimeMilliseconds()).Within(60_000));
    }

    /// <summary>Asserts a failure with <paramref name="code"/> and returns its error.</summary>
    public static JsonElement AssertError(JsonElement response, string code)
    {
        Assert.That(response.GetProperty("success").GetBoolean(), Is.False, response.GetRawText());
        Assert.That(response.GetProperty("data").ValueKind, Is.EqualTo(JsonValueKind.Null), response.GetRawText());
        JsonElement error = response.GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo(code), response.GetRawText());
        Assert.That(error.GetProperty("message").GetString(), Is.Not.Empty);
        return error;
    }

    /// <summary>Stops the app (its plugins with it); the folder stays until <see cref="DisposeAsync"/>.</summary>
    public async Task StopAsync()
    {
        if (!_stopped)
        {
            _stopped = true;
            await Gateway.DisposeAsync();
        }
    }

    public async ValueTask DisposeAsync()
    {
        await StopAsync();
        try
        {
            Directory.Delete(Folder, recursive: true);
        }
        catch (IOException)
        {
            // A plugin may still hold its file for a moment after it exited; the folder is in the temp folder.
        }
    }
}
