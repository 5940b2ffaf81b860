using System.Net.WebSockets;
using System.Text.Json;
using static PluginIpc.AspNetCore.Tests.WebChannel.WebChannelApp;

namespace PluginIpc.AspNetCore.Tests.WebChannel;

/// <summary>The PagesPlugin sample reached through the envelope: its data actions and its E1001-E1003 with details.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class WebChannelPagesTests
{
    private WebChannelApp _app = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _app = await WebChannelApp.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _app.DisposeAsync();

    [Test]
    public async Task Create_read_update_delete_and_history_through_the_envelope_over_WebSocket()
    {
        using ClientWebSocket socket = await _app.ConnectAsync();
        string id = "page-" + NewId();
        JsonElement created = await RequestAsync(socket, Envelope(NewId(), "create", "pages", id, $$"""{"id":"{{id}}","title":"First","content":"Hello world"}"""));
        AssertSuccess(created);
        Assert.That(created.GetProperty("data").GetProperty("version").GetInt64(), Is.EqualTo(1));

        JsonElement read = await RequestAsync(socket, Envelope(NewId(), "read", "pages", id, $$"""{"id":"{{id}}"}"""));
        AssertSuccess(read);
        Assert.That(read.GetProperty("data").GetProperty("title").GetString(), Is.EqualTo("First"));

        JsonElement updated = await RequestAsync(socket, Envelope(NewId(), "update", "pages", id, $$"""{"id":"{{id}}","title":"Second","version":1}"""));
        AssertSuccess(updated);
        Assert.That(updated.GetProperty("data").GetProperty("version").GetInt64(), Is.EqualTo(2));

        JsonElement history = await RequestAsync(socket, Envelope(NewId(), "history", "pages", id, $$"""{"id":"{{id}}"}"""));
        AssertSuccess(history);
        Assert.That(history.GetProperty("data").EnumerateArray().Select(p => p.GetProperty("title").GetString()), Is.EqualTo(new[] { "First" }));

        JsonElement deleted = await RequestAsync(socket, Envelope(NewId(), "delete", "pages", id, $$"""{"id":"{{id}}","version":2}"""));
        AssertSuccess(deleted);
        Assert.That(deleted.GetProperty("data").GetProperty("deleted").GetBoolean(), Is.True);
    }

    [Test]
    public async Task E1001_E1002_E1003_pass_through_with_their_details()
    {
        string id = "page-" + NewId();
        JsonElement missing = AssertError(await _app.PostAsync(Envelope(NewId(), "read", "pages", data: $$"""{"id":"{{id}}"}""")), "E1001");
        Assert.That(missing.GetProperty("details").GetProperty("id").GetString(), Is.EqualTo(id));

        AssertSuccess(await _app.PostAsync(Envelope(NewId(), "create", "pages", data: $$"""{"id":"{{id}}","title":"T"}""")));
        JsonElement stale = AssertError(await _app.PostAsync(Envelope(NewId(), "update", "pages", data: $$"""{"id":"{{id}}","title":"U","version":7}""")), "E1002");
        Assert.That(stale.GetProperty("details").GetProperty("currentVersion").GetInt64(), Is.EqualTo(1));
        Assert.That(stale.GetProperty("details").GetProperty("expectedVersion").GetInt64(), Is.EqualTo(7));

        JsonElement invalid = AssertError(await _app.PostAsync(Envelope(NewId(), "create", "pages", data: """{"title":""}""")), "E1003");
        Assert.That(invalid.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("title"));

        // Data of the wrong JSON type cannot be read into the action's request: PluginIpc's INVALID_REQUEST, E0002.
        AssertError(await _app.PostAsync(Envelope(NewId(), "update", "pages", data: $$"""{"id":"{{id}}","version":"one"}""")), "E0002");
    }

    [Test]
    public async Task The_envelopes_batch_and_the_plugins_own_transactional_batch()
    {
        string a = "page-" + NewId();
        string b = "page-" + NewId();

        // The gateway's batch: each operation a call, in order; a failure is that operation's result.
        JsonElement gateway = await _app.PostAsync(Envelope(NewId(), "batch", "pages", data: $$$"""
            {"operations":[
              {"action":"create","data":{"id":"{{{a}}}","title":"A"}},
              {"action":"read","data":{"id":"{{{b}}}"}},
              {"action":"update","data":{"id":"{{{a}}}","title":"A2","version":1}}
            ]}
            """));
        AssertSuccess(gateway);
        JsonElement[] results = [.. gateway.GetProperty("data").EnumerateArray()];
        Assert.That(results.Select(r => r.GetProperty("success").GetBoolean()), Is.EqualTo(new[] { true, false, true }));
        Assert.That(results[1].GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("E1001"));
        Assert.That(results[2].GetProperty("data").GetProperty("version").GetInt64(), Is.EqualTo(2));

        // Inside a batch, "batch" is the plugin's own command: its operations run in one transaction.
        JsonElement nested = await _app.PostAsync(Envelope(NewId(), "batch", "pages", data: $$$"""
            {"operations":[{"action":"batch","data":{"operations":[
              {"action":"create","data":{"id":"{{{b}}}","title":"B"}},
              {"action":"update","data":{"id":"{{{a}}}","title":"stale","version":1}}
            ]}}]}
            """));
        AssertSuccess(nested);
        JsonElement inner = nested.GetProperty("data")[0];
        Assert.That(inner.GetProperty("success").GetBoolean(), Is.True, inner.GetRawText());
        JsonElement[] pluginResults = [.. inner.GetProperty("data").EnumerateArray()];
        Assert.That(pluginResults[0].GetProperty("success").GetBoolean(), Is.True);
        Assert.That(pluginResults[1].GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("E1002"));
    }

    [Test]
    public async Task Search_and_export()
    {
        string word = "zebra" + NewId()[..8];
        string id = "page-" + NewId();
        AssertSuccess(await _app.PostAsync(Envelope(NewId(), "create", "pages", data: $$"""{"id":"{{id}}","title":"Animals","content":"a {{word}} runs"}""")));

        JsonElement search = await _app.PostAsync(Envelope(NewId(), "search", "pages", data: $$"""{"query":"{{word}}"}"""));
        AssertSuccess(search);
        Assert.That(search.GetProperty("data").EnumerateArray().Select(h => h.GetProperty("id").GetString()), Is.EqualTo(new[] { id }));

        JsonElement export = await _app.PostAsync(Envelope(NewId(), "export", "pages", data: $$"""{"ids":["{{id}}"]}"""));
        AssertSuccess(export);
        Assert.That(export.GetProperty("data").GetProperty("pages")[0].GetProperty("content").GetString(), Does.Contain(word));

        AssertError(await _app.PostAsync(Envelope(NewId(), "search", "pages", data: """{"query":""}""")), "E1003");
    }

    [Test]
    public async Task Largest_pages_pass_the_gateway_and_export_pages_through_them_within_MaxMessageBytes()
    {
        // Six pages of the largest content (256 KiB) fit the gateway's default 1 MiB both ways; their export comes in answers
        // of at most 512 KiB of JSON each, so paging with after: next moves on until every page is out.
        string content = new('x', 256 * 1024);
        string prefix = "big-" + NewId()[..8] + "-";
        string[] ids = [.. Enumerable.Range(0, 6).Select(i => prefix + i.ToString(System.Globalization.CultureInfo.InvariantCulture))];
        foreach (string id in ids)
        {
            AssertSuccess(await _app.PostAsync(Envelope(NewId(), "create", "pages", data: $$"""{"id":"{{id}}","title":"Big","content":"{{content}}"}""")));
        }

        JsonElement read = await _app.PostAsync(Envelope(NewId(), "read", "pages", data: $$"""{"id":"{{ids[0]}}"}"""));
        AssertSuccess(read);
        Assert.That(read.GetProperty("data").GetProperty("content").GetString(), Has.Length.EqualTo(content.Length));

        var exported = new List<string>();
        string idsJson = JsonSerializer.Serialize(ids);
        string? after = null;
        for (int answers = 0; answers < ids.Length; answers++)
        {
            string data = after is null ? $$"""{"ids":{{idsJson}}}""" : $$"""{"ids":{{idsJson}},"after":"{{after}}"}""";
            JsonElement export = await _app.PostAsync(Envelope(NewId(), "export", "pages", data: data));
            AssertSuccess(export);
            exported.AddRange(export.GetProperty("data").GetProperty("pages").EnumerateArray().Select(p => p.GetProperty("id").GetString()!));
            after = export.GetProperty("data").TryGetProperty("next", out JsonElement next) && next.ValueKind == JsonValueKind.String ? next.GetString() : null;
            if (after is null)
            {
                break;
            }
        }

        Assert.That(exported, Is.EqualTo(ids));
    }
}
