using System.Net.WebSockets;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using static PluginIpc.AspNetCore.Tests.WebChannel.WebChannelApp;

namespace PluginIpc.AspNetCore.Tests.WebChannel;

/// <summary>The lifecycle messages the gateway sends plugins, and clients' events, seen by a real plugin that records them.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class WebChannelLifecycleTests
{
    private static string Message(string cmd, string? pageId = null, string? changeType = null, string data = "null") =>
        cmd + " " + JsonSerializer.Serialize(new { pageId, changeType }).TrimEnd('}') + ",\"data\":" + data + "}";

    [Test]
    public async Task A_connection_tells_onInit_once_then_onPageReady_per_new_page_and_onBeforeDestroy_for_its_pages_when_it_closes()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync();
        using (ClientWebSocket socket = await app.ConnectAsync())
        {
            AssertSuccess(await RequestAsync(socket, Envelope(NewId(), "echo", "wc", "A", "1")));
            AssertSuccess(await RequestAsync(socket, Envelope(NewId(), "echo", "wc", "A", "2")));
            AssertSuccess(await RequestAsync(socket, Envelope(NewId(), "echo", "wc", "B", "3")));
            AssertSuccess(await RequestAsync(socket, Envelope(NewId(), "data_changed", "wc", "A", """{"changeType":"update","data":{"id":"x","version":2}}""")));
            AssertSuccess(await RequestAsync(socket, Envelope(NewId(), "page_destroy", "wc", "B")));
            Assert.That(await app.SeenAsync("wc", 5), Is.EqualTo(new[]
            {
                Message("onInit"),
                Message("onPageReady", "A"),
                Message("onPageReady", "B"),
                Message("onDataChanged", "A", "update", """{"id":"x","version":2}"""),
                Message("onBeforeDestroy", "B"),
            }));

            using var timeout = new CancellationTokenSource(GatewayApp.Wait);
            await socket.CloseAsync(WebSocketCloseStatus.NormalClosure, "bye", timeout.Token);
        }

        // B was destroyed already: the closing connection tells only A.
        string[] seen = await app.SeenAsync("wc", 6);
        Assert.That(seen[5..], Is.EqualTo(new[] { Message("onBeforeDestroy", "A") }));

        // Over HTTP pages are explicit: page_ready tells the plugin every time it is sent.
        AssertSuccess(await app.PostAsync(Envelope(NewId(), "page_ready", "wc", "C")));
        Assert.That((await app.SeenAsync("wc", 7))[6], Is.EqualTo(Message("onPageReady", "C")));
    }

    [Test]
    public async Task Page_actions_need_a_plugin_and_a_page_and_data_changed_a_changeType()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync();
        Assert.That(AssertError(await app.PostAsync(Envelope(NewId(), "page_ready", pageId: "A")), "E0002").GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("pluginId"));
        Assert.That(AssertError(await app.PostAsync(Envelope(NewId(), "page_destroy", "wc")), "E0002").GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("pageId"));
        Assert.That(AssertError(await app.PostAsync(Envelope(NewId(), "data_changed", "wc", "A", """{"data":1}""")), "E0002").GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("data.changeType"));
        AssertError(await app.PostAsync(Envelope(NewId(), "page_ready", "secret", "A")), "E2001");
    }

    [Test]
    public async Task A_restarted_plugin_is_told_onInit_again_and_onDestroy_when_the_application_stops()
    {
        WebChannelApp app = await WebChannelApp.StartAsync();
        try
        {
            AssertSuccess(await app.PostAsync(Envelope(NewId(), "echo", "wc", data: "1")));
            Assert.That(await app.SeenAsync("wc", 1), Is.EqualTo(new[] { Message("onInit") }));

            JsonElement crash = await app.PostAsync(Envelope(NewId(), "crash", "wc"));
            Assert.That(crash.GetProperty("success").GetBoolean(), Is.False, crash.GetRawText());

            // The restarted process is another instance: it records from scratch, and onInit came first.
            AssertSuccess(await app.PostAsync(Envelope(NewId(), "echo", "wc", data: "2")));
            Assert.That(await app.SeenAsync("wc", 1), Is.EqualTo(new[] { Message("onInit") }));

            await app.StopAsync();
            string[] log = File.ReadAllLines(Path.Combine(app.Folder, "wc.log"));
            Assert.That(log, Is.EqualTo(new[] { Message("onInit"), Message("onInit"), Message("onDestroy") }));
            Assert.That(File.Exists(Path.Combine(app.Folder, "wc2.log")), Is.False, "a plugin the gateway never reached is not told");
        }
        finally
        {
            await app.DisposeAsync();
        }
    }

    [Test]
    public async Task A_restarted_plugin_is_told_onPageReady_again_for_the_pages_of_an_open_connection()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync();
        using ClientWebSocket socket = await app.ConnectAsync();
        AssertSuccess(await RequestAsync(socket, Envelope(NewId(), "echo", "wc", "A", "1")));
        Assert.That(await app.SeenAsync("wc", 2), Is.EqualTo(new[] { Message("onInit"), Message("onPageReady", "A") }));

        JsonElement crash = await RequestAsync(socket, Envelope(NewId(), "crash", "wc", "A"));
        Assert.That(crash.GetProperty("success").GetBoolean(), Is.False, crash.GetRawText());

        // The new process lost what the old one knew of page A: it hears of it again before the page's next call.
        AssertSuccess(await RequestAsync(socket, Envelope(NewId(), "echo", "wc", "A", "2")));
        Assert.That(await app.SeenAsync("wc", 2), Is.EqualTo(new[] { Message("onInit"), Message("onPageReady", "A") }));
    }

    [Test]
    public async Task A_JSON_RPC_call_that_reaches_a_plugin_first_is_preceded_by_onInit()
    {
        // Only JSON-RPC reaches the plugin here: an envelope would send onInit itself. Without onInit, seen waits out the call timeout.
        await using WebChannelApp app = await WebChannelApp.StartAsync(o => o.CallTimeout = TimeSpan.FromSeconds(5));
        JsonElement answer = await app.Gateway.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"wc/seen","params":{"count":1}}""");

        Assert.That(answer.TryGetProperty("result", out JsonElement seen), Is.True, answer.GetRawText());
        Assert.That(seen.EnumerateArray().Select(record => record.GetString()), Is.EqualTo(new[] { Message("onInit") }), "onInit comes before anything else the gateway sends, whatever the dialect");
    }

    [Test]
    public async Task An_event_without_pluginId_reaches_every_running_plugin_that_declares_it()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync();

        // Events never start a plugin: none runs yet.
        AssertError(await app.PostAsync(Envelope(NewId(), "custom_event", data: "1")), "E2001");

        AssertSuccess(await app.PostAsync(Envelope(NewId(), "echo", "wc", data: "0")));
        AssertSuccess(await app.PostAsync(Envelope(NewId(), "echo", "wc2", data: "0")));

        JsonElement custom = await app.PostAsync(Envelope(NewId(), "custom_event", pageId: "A", data: """{"n":1}"""));
        AssertSuccess(custom);
        Assert.That(custom.GetProperty("data").GetProperty("delivered").EnumerateArray().Select(e => e.GetString()), Is.EquivalentTo(new[] { "wc", "wc2" }));

        // wc2 declares custom_event only.
        JsonElement autoSave = await app.PostAsync(Envelope(NewId(), "auto_save", data: """{"content":"draft"}"""));
        AssertSuccess(autoSave);
        Assert.That(autoSave.GetProperty("data").GetProperty("delivered").EnumerateArray().Select(e => e.GetString()), Is.EqualTo(new[] { "wc" }));

        AssertError(await app.PostAsync(Envelope(NewId(), "nobody_declares_this", data: "1")), "E2001");

        await app.SeenAsync("wc", 3); // one-way messages are handled in order; the call below is not ordered with them

        // With a pluginId an event is a call of that plugin's command.
        JsonElement pageSwitch = await app.PostAsync(Envelope(NewId(), "page_switch", "wc", "B", """{"from":"A"}"""));
        AssertSuccess(pageSwitch);
        Assert.That(pageSwitch.GetProperty("data").GetBoolean(), Is.True);

        string[] wc = await app.SeenAsync("wc", 4);
        Assert.That(wc, Is.EqualTo(new[] { "onInit", "custom_event {\"n\":1}", "auto_save {\"content\":\"draft\"}", "page_switch {\"from\":\"A\"}" }.Select(l => l == "onInit" ? Message("onInit") : l)));
        Assert.That(await app.SeenAsync("wc2", 2), Is.EqualTo(new[] { Message("onInit"), "custom_event {\"n\":1}" }));
    }

    [Test]
    public async Task An_event_one_target_cannot_take_reaches_no_plugin()
    {
        // odd declares custom_event in a format the gateway does not convert; it comes after wc in the exposure list.
        await using WebChannelApp app = await WebChannelApp.StartAsync(
            o => o.Expose("odd"),
            builder => builder.Services.AddPlugin("odd", o => GatewayApp.Dotnet(o, GatewayApp.PluginPath("TestPlugin"), "webchannel", "name=odd", "events=custom_event", "serializer=custom")));
        AssertSuccess(await app.PostAsync(Envelope(NewId(), "echo", "wc", data: "0")));
        await app.PostAsync(Envelope(NewId(), "echo", "odd")); // starts it (its onInit cannot be converted either: the call fails)
        Assert.That(app.Gateway.Services.GetRequiredService<IPluginManager>().GetState("odd"), Is.EqualTo(PluginState.Running));

        JsonElement failed = await app.PostAsync(Envelope(NewId(), "custom_event", data: """{"n":1}"""));
        Assert.That(AssertError(failed, "E0002").GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("data"));

        // wc got nothing: the next event it takes is its next record after onInit.
        AssertSuccess(await app.PostAsync(Envelope(NewId(), "auto_save", data: """{"content":"x"}""")));
        Assert.That(await app.SeenAsync("wc", 2), Is.EqualTo(new[] { Message("onInit"), "auto_save {\"content\":\"x\"}" }));
    }

    [Test]
    public async Task An_onInit_that_fails_or_hangs_is_sent_again_by_the_next_call()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync();
        Plugin plugin = await app.Gateway.Services.GetRequiredService<IPluginManager>().GetAsync("wc");
        int sends = 0;
        var lifecycle = new PluginIpc.AspNetCore.WebChannel.WebChannelLifecycle(Microsoft.Extensions.Logging.Abstractions.NullLoggerFactory.Instance, TimeSpan.FromMilliseconds(300), async (_, cancellationToken) =>
        {
            switch (Interlocked.Increment(ref sends))
            {
                case 1:
                    throw new IOException("the pipe broke");
                case 2:
                    await Task.Delay(Timeout.Infinite, cancellationToken); // never sent, until its token fires
                    break;
                case 3:
                    await new TaskCompletionSource().Task; // a full pipe: a one-way message waiting for room heeds no token
                    break;
            }
        });

        Assert.That((await lifecycle.EnsureInitAsync("wc", plugin, CancellationToken.None))?.Code, Is.EqualTo("PLUGIN_UNAVAILABLE"), "failed");
        Assert.That((await lifecycle.EnsureInitAsync("wc", plugin, CancellationToken.None).AsTask().WaitAsync(GatewayApp.Wait))?.Code, Is.EqualTo("PLUGIN_UNAVAILABLE"), "timed out");
        Assert.That((await lifecycle.EnsureInitAsync("wc", plugin, CancellationToken.None).AsTask().WaitAsync(GatewayApp.Wait))?.Code, Is.EqualTo("PLUGIN_UNAVAILABLE"), "timed out, though the send heeds no token");
        Assert.That(await lifecycle.EnsureInitAsync("wc", plugin, CancellationToken.None), Is.Null, "sent at the fourth try");
        Assert.That(await lifecycle.EnsureInitAsync("wc", plugin, CancellationToken.None), Is.Null);
        Assert.That(sends, Is.EqualTo(4), "once sent, not again");
    }
}
