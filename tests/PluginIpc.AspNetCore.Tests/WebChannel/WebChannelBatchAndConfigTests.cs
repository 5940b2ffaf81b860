using System.Text.Json;
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
        string[] seen = await _app.SeenAsync("wc", before + 1);
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
    }
}
