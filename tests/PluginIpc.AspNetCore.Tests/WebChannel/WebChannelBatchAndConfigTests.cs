using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using static PluginIpc.AspNetCore.Tests.WebChannel.WebChannelApp;

namespace PluginIpc.AspNetCore.Tests.WebChannel;

/// <summary>The envelope's batch, get_config and set_config against real plugins and the host's configuration store.</summary>
[TestFixture]
[Parallelizable(ParallelScope.None)]
public sealed class WebChannelBatchAndConfigTests
{
    private WebChannelApp _app = null!;

    [OneTimeSetUp]
    public async Task StartAsync() => _app = await WebChannelApp.StartAsync();

    [OneTimeTearDown]
    public async Task StopAsync() => await _app.DisposeAsync();

    [Test]
    public async Task A_batch_runs_its_operations_in_order_and_a_failure_does_not_stop_the_rest()
    {
        JsonElement response = await _app.PostAsync(Envelope(NewId(), "batch", "wc", data: """
            {"operations":[
              {"action":"count"},
              {"action":"raise","data":{"code":"E1001","message":"gone","details":{"id":"a"}}},
              {"action":"count"},
              {"action":"echo","pluginId":"pages","data":{}},
              {"action":"echo","pluginId":"secret"},
              {"data":1},
              {"action":"get_config","data":{"scope":"user","key":"absent"}}
            ]}
            """));
        AssertSuccess(response);
        JsonElement[] results = [.. response.GetProperty("data").EnumerateArray()];
        Assert.That(results, Has.Length.EqualTo(7));
        int first = results[0].GetProperty("data").GetInt32();
        Assert.That(results[0].GetProperty("success").GetBoolean(), Is.True);
        Assert.That(results[1].GetProperty("success").GetBoolean(), Is.False);
        Assert.That(results[1].GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("E1001"));
        Assert.That(results[1].GetProperty("error").GetProperty("details").GetProperty("id").GetString(), Is.EqualTo("a"));
        Assert.That(results[2].GetProperty("data").GetInt32(), Is.EqualTo(first + 1), "the operations ran in order, after the failure too");
        Assert.That(results[3].GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("E0002"), "pages has no command echo");
        Assert.That(results[4].GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("E2001"));
        Assert.That(results[5].GetProperty("error").GetProperty("code").GetString(), Is.EqualTo("E0002"));
        Assert.That(results[5].GetProperty("error").GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("action"));
        Assert.That(results[6].GetProperty("success").GetBoolean(), Is.True);
        Assert.That(results[6].GetProperty("data").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [TestCase("""{"operations":[]}""", TestName = "A batch of no operations is E0002")]
    [TestCase("""{"ops":[{"action":"count"}]}""", TestName = "A batch without operations is E0002")]
    [TestCase(null, TestName = "A batch without data is E0002")]
    public async Task A_malformed_batch_is_E0002(string? data)
    {
        JsonElement error = AssertError(await _app.PostAsync(Envelope(NewId(), "batch", "wc", data: data)), "E0002");
        Assert.That(error.GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("data.operations"));
    }

    [Test]
    public async Task A_batch_of_101_operations_is_E0002()
    {
        string operations = string.Join(",", Enumerable.Repeat("""{"action":"count"}""", 101));
        AssertError(await _app.PostAsync(Envelope(NewId(), "batch", "wc", data: $$"""{"operations":[{{operations}}]}""")), "E0002");
    }

    [Test]
    public async Task Set_config_writes_the_store_the_plugin_reads_and_the_plugin_is_told()
    {
        string key = "theme-" + NewId();
        int before = (await _app.SeenAsync("wc", 0)).Length;
        JsonElement set = await _app.PostAsync(Envelope(NewId(), "set_config", "wc", data: $$$"""{"scope":"user","key":"{{{key}}}","value":{"dark":true}}"""));
        AssertSuccess(set);
        Assert.That(set.GetProperty("data").GetProperty("dark").GetBoolean(), Is.True);

        JsonElement get = await _app.PostAsync(Envelope(NewId(), "get_config", "wc", data: $$"""{"scope":"user","key":"{{key}}"}"""));
        AssertSuccess(get);
        Assert.That(get.GetProperty("data").GetProperty("dark").GetBoolean(), Is.True);

        JsonElement all = await _app.PostAsync(Envelope(NewId(), "get_config", "wc", data: """{"scope":"user"}"""));
        Assert.That(all.GetProperty("data").GetProperty(key).GetProperty("dark").GetBoolean(), Is.True);

        // The store is the host's: the file is there, and the plugin got sys.config.changed naming the key.
        Assert.That(File.ReadAllText(Path.Combine(_app.Folder, "config", "user", "wc.json")), Does.Contain(key));
        // The plugin is shared with the other tests: another test's change may still be on its way to it, ahead of this one.
        bool Ours(string line) => line.StartsWith("sys.config.changed ", StringComparison.Ordinal) && line.Contains(key, StringComparison.Ordinal);
        string[] seen = await _app.SeenAsync("wc", before + 1);
        while (!seen.Skip(before).Any(Ours) && seen.Length < before + 10)
        {
            seen = await _app.SeenAsync("wc", seen.Length + 1);
        }

        Assert.That(seen.Skip(before).Any(line => line.StartsWith("sys.config.changed ", StringComparison.Ordinal) && line.Contains(key, StringComparison.Ordinal)), Is.True, string.Join("\n", seen));

        JsonElement absent = await _app.PostAsync(Envelope(NewId(), "get_config", "wc", data: """{"scope":"plugin","key":"nothing"}"""));
        AssertSuccess(absent);
        Assert.That(absent.GetProperty("data").ValueKind, Is.EqualTo(JsonValueKind.Null));
    }

    [Test]
    public async Task Config_errors()
    {
        AssertError(await _app.PostAsync(Envelope(NewId(), "get_config", data: """{"scope":"user"}""")), "E0002");
        Assert.That(AssertError(await _app.PostAsync(Envelope(NewId(), "get_config", "wc", data: """{"scope":"team"}""")), "E0002").GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("data.scope"));
        Assert.That(AssertError(await _app.PostAsync(Envelope(NewId(), "set_config", "wc", data: """{"scope":"user"}""")), "E0002").GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("data.key"));
        Assert.That(AssertError(await _app.PostAsync(Envelope(NewId(), "set_config", "wc", data: """{"scope":"user","key":"k"}""")), "E0002").GetProperty("details").GetProperty("field").GetString(), Is.EqualTo("data.value"));
        AssertError(await _app.PostAsync(Envelope(NewId(), "set_config", "wc", data: """{"scope":"system","key":"k","value":1}""")), "E0003");
        AssertError(await _app.PostAsync(Envelope(NewId(), "get_config", "secret", data: """{"scope":"user"}""")), "E2001");
        AssertError(await _app.PostAsync(Envelope(NewId(), "get_config", "ghost", data: """{"scope":"user"}""")), "E2001");
        AssertError(await _app.PostAsync(Envelope(NewId(), "get_config", "limited", data: """{"scope":"user"}""")), "E0003");
        AssertSuccess(await _app.PostAsync(Envelope(NewId(), "get_config", "wc", data: """{"scope":"system"}""")));
        string deep = new string('[', 62) + new string(']', 62); // the deepest a request lets through; 63 is the store's limit
        AssertSuccess(await _app.PostAsync(Envelope(NewId(), "set_config", "wc", data: $$"""{"scope":"plugin","key":"deep-{{NewId()}}","value":{{deep}}}""")));
    }

    [Test]
    public async Task Get_config_of_a_file_edited_by_hand_with_comments_answers_its_values_alone_and_in_a_batch()
    {
        string file = Path.Combine(_app.Folder, "config", "plugin", "wc2.json");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        await File.WriteAllTextAsync(file, """
            {
              // edited by hand
              "sizes": [1, /* two */ 2],
              "theme": { "name": "dark" /* for now */ }
            }
            """);

        JsonElement one = await _app.PostAsync(Envelope(NewId(), "get_config", "wc2", data: """{"scope":"plugin","key":"sizes"}"""));
        AssertSuccess(one);
        Assert.That(one.GetProperty("data").GetRawText(), Is.EqualTo("[1,2]"));
        JsonElement all = await _app.PostAsync(Envelope(NewId(), "get_config", "wc2", data: """{"scope":"plugin"}"""));
        AssertSuccess(all);
        Assert.That(all.GetProperty("data").GetRawText(), Is.EqualTo("""{"sizes":[1,2],"theme":{"name":"dark"}}"""));

        JsonElement batch = await _app.PostAsync(Envelope(NewId(), "batch", "wc2", data: """
            {"operations":[
              {"action":"get_config","data":{"scope":"plugin","key":"theme"}},
              {"action":"get_config","data":{"scope":"user"}}
            ]}
            """));
        AssertSuccess(batch);
        JsonElement[] results = [.. batch.GetProperty("data").EnumerateArray()];
        Assert.That(results.Select(r => r.GetProperty("data").GetRawText()), Is.EqualTo(new[] { """{"name":"dark"}""", "{}" }));
    }

    [Test]
    public async Task A_batch_operation_that_fails_inside_the_gateway_is_its_own_error_and_the_rest_run()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync(build: builder =>
            builder.Services.AddSingleton<IPluginConfigStore>(new FailingConfigStore()));
        JsonElement response = await app.PostAsync(Envelope(NewId(), "batch", "wc", data: """
            {"operations":[
              {"action":"count"},
              {"action":"get_config","data":{"scope":"user"}},
              {"action":"count"}
            ]}
            """));

        AssertSuccess(response);
        JsonElement[] results = [.. response.GetProperty("data").EnumerateArray()];
        Assert.That(results.Select(r => r.GetProperty("success").GetBoolean()), Is.EqualTo(new[] { true, false, true }));
        JsonElement error = results[1].GetProperty("error");
        Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("E0001"));
        Assert.That(error.GetProperty("message").GetString(), Is.EqualTo("Internal error."), "the exception's message stays in the host's log");
        Assert.That(results[2].GetProperty("data").GetInt32(), Is.EqualTo(results[0].GetProperty("data").GetInt32() + 1));
    }

    [Test]
    public async Task A_set_config_over_the_size_limit_answers_CONFIG_TOO_LARGE_without_the_host_path()
    {
        await using WebChannelApp app = await WebChannelApp.StartAsync(build: builder =>
            builder.Services.AddPluginIpc(o => o.Config.MaxFileBytes = 64));
        JsonElement response = await app.PostAsync(Envelope(NewId(), "set_config", "wc", data: $$"""{"scope":"user","key":"big","value":"{{new string('x', 200)}}"}"""));
        JsonElement error = AssertError(response, "E0002");
        Assert.That(error.GetProperty("details").GetProperty("code").GetString(), Is.EqualTo("CONFIG_TOO_LARGE"));
        string message = error.GetProperty("message").GetString()!;
        Assert.That(message, Does.Not.Contain(app.Folder).And.Not.Contain(Path.DirectorySeparatorChar.ToString()), message);
    }

    [Test]
    public async Task A_batch_response_stays_within_MaxMessageBytes_the_operation_past_it_and_the_rest_fail_PAYLOAD_TOO_LARGE()
    {
        const int limit = 64 * 1024;
        await using WebChannelApp app = await WebChannelApp.StartAsync(o => o.MaxMessageBytes = limit);
        string fill = """{"action":"fill","data":{"bytes":20000}}""";
        string body = Envelope(NewId(), "batch", "wc", data: $$"""{"operations":[{{fill}},{{fill}},{{fill}},{{fill}},{"action":"count"}]}""");
        (System.Net.HttpStatusCode status, JsonElement response) = await app.PostRawAsync(body);
        Assert.That(status, Is.EqualTo(System.Net.HttpStatusCode.OK));
        AssertSuccess(response);
        Assert.That(System.Text.Encoding.UTF8.GetByteCount(response.GetRawText()), Is.LessThanOrEqualTo(limit));
        JsonElement[] results = [.. response.GetProperty("data").EnumerateArray()];
        Assert.That(results.Take(3).Select(r => r.GetProperty("data").GetString()!.Length), Is.EqualTo(new[] { 20000, 20000, 20000 }));
        foreach ((JsonElement result, bool ran) in new[] { (results[3], true), (results[4], false) })
        {
            JsonElement error = result.GetProperty("error");
            Assert.That(error.GetProperty("code").GetString(), Is.EqualTo("E2003"), result.GetRawText());
            Assert.That(error.GetProperty("details").GetProperty("code").GetString(), Is.EqualTo("PAYLOAD_TOO_LARGE"));
            Assert.That(error.GetProperty("details").GetProperty("details").GetProperty("ran").GetBoolean(), Is.EqualTo(ran));
        }

        // count did not run: the next count is the first.
        Assert.That((await app.PostAsync(Envelope(NewId(), "count", "wc"))).GetProperty("data").GetInt32(), Is.EqualTo(1));

        // JSON-RPC's batches too: the calls ran (at once), the responses past the limit are errors with their ids.
        string call = """{"jsonrpc":"2.0","id":ID,"method":"wc/fill","params":{"bytes":20000}}""";
        JsonElement batch = await app.Gateway.RpcAsync("[" + string.Join(",", Enumerable.Range(1, 5).Select(i => call.Replace("ID", i.ToString(System.Globalization.CultureInfo.InvariantCulture), StringComparison.Ordinal))) + "]");
        Assert.That(System.Text.Encoding.UTF8.GetByteCount(batch.GetRawText()), Is.LessThanOrEqualTo(limit));
        JsonElement[] answers = [.. batch.EnumerateArray()];
        Assert.That(answers.Select(a => a.GetProperty("id").GetInt32()).Order(), Is.EqualTo(new[] { 1, 2, 3, 4, 5 }));
        Assert.That(answers.Count(a => a.TryGetProperty("result", out _)), Is.EqualTo(3));
        Assert.That(answers.Where(a => a.TryGetProperty("error", out _)).Select(a => (a.GetProperty("error").GetProperty("code").GetInt32(), a.GetProperty("error").GetProperty("data").GetProperty("code").GetString())), Is.All.EqualTo((-32005, "PAYLOAD_TOO_LARGE")));
    }
}
