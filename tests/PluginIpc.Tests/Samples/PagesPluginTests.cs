using System.Diagnostics;
using System.Text.Json;
using System.Text.Json.Nodes;
using PluginIpc.Tests.Host;
using PluginIpc.Tests.Processes;

// Not PluginIpc.Tests.Samples: that namespace would hide the samples' own namespace Samples from every test under PluginIpc.Tests.
namespace PluginIpc.Tests.SamplePlugins;

/// <summary>
/// Runs the PagesPlugin sample as a real process, as the gateway will: each action's data is one JSON value and so is its answer.
/// One plugin and database serve the action tests (each test uses ids of its own); the crash tests start their own.
/// </summary>
[Category("Process")]
public sealed class PagesPluginTests
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(20);

    private string? _folder;
    private Plugin _plugin = null!;

    [OneTimeSetUp]
    public async Task StartPluginAsync()
    {
        _folder = NewFolder();
        _plugin = new Plugin(Options(Path.Combine(_folder, "pages.db")));
        await _plugin.StartAsync().WaitAsync(s_timeout);
        Assert.That(_plugin.Metadata["name"], Is.EqualTo("pages"), "the name a host's configuration gives it, as the envelope's pluginId");
    }

    [OneTimeTearDown]
    public async Task StopPluginAsync()
    {
        if (_plugin is not null)
        {
            await _plugin.DisposeAsync();
        }

        if (_folder is not null)
        {
            Directory.Delete(_folder, recursive: true);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task CreateReadUpdateDelete_VersionsGrow_DeletedPageIsNotFound(CancellationToken cancellationToken)
    {
        string id = NewId();

        JsonNode created = await CallAsync(_plugin, "create", $$"""{"id":"{{id}}","title":"First","content":"Hello"}""", cancellationToken);
        Assert.That((string?)created["id"], Is.EqualTo(id));
        Assert.That((string?)created["title"], Is.EqualTo("First"));
        Assert.That((string?)created["content"], Is.EqualTo("Hello"));
        Assert.That((long?)created["version"], Is.EqualTo(1));
        Assert.That((DateTimeOffset?)created["updatedAt"], Is.EqualTo(DateTimeOffset.UtcNow).Within(TimeSpan.FromMinutes(1)));

        JsonNode read = await CallAsync(_plugin, "read", $$"""{"id":"{{id}}"}""", cancellationToken);
        Assert.That(JsonNode.DeepEquals(read, created), Is.True, read.ToJsonString());

        JsonNode updated = await CallAsync(_plugin, "update", $$"""{"id":"{{id}}","title":"Second","version":1}""", cancellationToken);
        Assert.That(((string?)updated["title"], (string?)updated["content"], (long?)updated["version"]), Is.EqualTo(("Second", "Hello", 2L)));

        JsonNode deleted = await CallAsync(_plugin, "delete", $$"""{"id":"{{id}}","version":2}""", cancellationToken);
        Assert.That(((string?)deleted["id"], (long?)deleted["version"], (bool?)deleted["deleted"]), Is.EqualTo((id, 2L, true)));

        RemoteException gone = await ErrorAsync(_plugin, "read", $$"""{"id":"{{id}}"}""", cancellationToken);
        Assert.That(gone.Code, Is.EqualTo("E1001"));
    }

    [Test, CancelAfter(30_000)]
    public async Task Create_WithoutId_GetsOneOfItsOwn(CancellationToken cancellationToken)
    {
        JsonNode created = await CallAsync(_plugin, "create", """{"title":"No id"}""", cancellationToken);

        string? id = (string?)created["id"];
        Assert.That(id, Is.Not.Null.And.Not.Empty);
        Assert.That((string?)created["content"], Is.Empty);
        Assert.That((string?)(await CallAsync(_plugin, "read", $$"""{"id":"{{id}}"}""", cancellationToken))["title"], Is.EqualTo("No id"));
    }

    [TestCase("read")]
    [TestCase("update")]
    [TestCase("delete")]
    [TestCase("history")]
    [CancelAfter(30_000)]
    public async Task Action_PageMissing_E1001NamesTheId(string action, CancellationToken cancellationToken)
    {
        string id = NewId();

        RemoteException error = await ErrorAsync(_plugin, action, $$"""{"id":"{{id}}","title":"x","version":1}""", cancellationToken);

        Assert.That(error.Code, Is.EqualTo("E1001"));
        Assert.That(error.Message, Does.Contain(id));
        Assert.That(error.Details?.GetProperty("id").GetString(), Is.EqualTo(id));
    }

    [TestCase("update", ""","content":"stale","version":1""")]
    [TestCase("delete", ""","version":1""")]
    [CancelAfter(30_000)]
    public async Task Write_StaleVersion_E1002CarriesTheCurrentVersion_PageUnchanged(string action, string rest, CancellationToken cancellationToken)
    {
        string id = NewId();
        await CallAsync(_plugin, "create", $$"""{"id":"{{id}}","title":"t","content":"v1"}""", cancellationToken);
        await CallAsync(_plugin, "update", $$"""{"id":"{{id}}","content":"v2","version":1}""", cancellationToken);

        RemoteException error = await ErrorAsync(_plugin, action, $$"""{"id":"{{id}}"{{rest}}}""", cancellationToken);

        Assert.That(error.Code, Is.EqualTo("E1002"));
        Assert.That(error.Details?.GetProperty("currentVersion").GetInt64(), Is.EqualTo(2));
        Assert.That(error.Details?.GetProperty("expectedVersion").GetInt64(), Is.EqualTo(1));
        JsonNode page = await CallAsync(_plugin, "read", $$"""{"id":"{{id}}"}""", cancellationToken);
        Assert.That(((string?)page["content"], (long?)page["version"]), Is.EqualTo(("v2", 2L)));
    }

    [Test, CancelAfter(30_000)]
    public async Task Create_IdTaken_E1002CarriesTheCurrentVersion(CancellationToken cancellationToken)
    {
        string id = NewId();
        await CallAsync(_plugin, "create", $$"""{"id":"{{id}}","title":"one"}""", cancellationToken);

        RemoteException error = await ErrorAsync(_plugin, "create", $$"""{"id":"{{id}}","title":"two"}""", cancellationToken);

        Assert.That(error.Code, Is.EqualTo("E1002"));
        Assert.That(error.Details?.GetProperty("currentVersion").GetInt64(), Is.EqualTo(1));
        Assert.That((string?)(await CallAsync(_plugin, "read", $$"""{"id":"{{id}}"}""", cancellationToken))["title"], Is.EqualTo("one"));
    }

    private static IEnumerable<TestCaseData> InvalidRequests()
    {
        string longTitle = new('t', 201);
        string hugeContent = new('c', (256 * 1024) + 1);
        string manyIds = string.Join(',', Enumerable.Range(0, 501).Select(i => $"\"p{i}\""));
        yield return new TestCaseData("read", "{}", "id").SetName("read without id");
        yield return new TestCaseData("read", "null", "id").SetName("read with null data");
        yield return new TestCaseData("read", """{"id":"a b"}""", "id").SetName("read with a space in the id");
        yield return new TestCaseData("create", """{"content":"x"}""", "title").SetName("create without title");
        yield return new TestCaseData("create", """{"title":"   "}""", "title").SetName("create with a blank title");
        yield return new TestCaseData("create", $$"""{"title":"{{longTitle}}"}""", "title").SetName("create with a title of 201 chars");
        yield return new TestCaseData("create", $$"""{"title":"t","content":"{{hugeContent}}"}""", "content").SetName("create with a content over 256 KiB");
        yield return new TestCaseData("create", $$"""{"id":"{{new string('i', 129)}}","title":"t"}""", "id").SetName("create with an id of 129 chars");
        yield return new TestCaseData("update", """{"id":"x","title":"t"}""", "version").SetName("update without version");
        yield return new TestCaseData("update", """{"id":"x","title":"t","version":0}""", "version").SetName("update with version 0");
        yield return new TestCaseData("update", """{"id":"x","version":1}""", "title").SetName("update with nothing to change");
        yield return new TestCaseData("delete", """{"id":"x"}""", "version").SetName("delete without version");
        yield return new TestCaseData("batch", "{}", "operations").SetName("batch without operations");
        yield return new TestCaseData("batch", $$"""{"operations":[{{string.Join(',', Enumerable.Repeat("""{"action":"read","data":{"id":"x"}}""", 101))}}]}""", "operations").SetName("batch of 101 operations");
        yield return new TestCaseData("search", """{"query":"  "}""", "query").SetName("search with a blank query");
        yield return new TestCaseData("search", $$"""{"query":"{{new string('q', 201)}}"}""", "query").SetName("search with a query of 201 chars");
        yield return new TestCaseData("search", """{"query":"a b c d e f g h i j k l m n o p q"}""", "query").SetName("search with 17 words");
        yield return new TestCaseData("search", """{"query":"x","limit":0}""", "limit").SetName("search with limit 0");
        yield return new TestCaseData("history", """{"id":"x","limit":101}""", "limit").SetName("history with limit 101");
        yield return new TestCaseData("export", $$"""{"ids":[{{manyIds}}]}""", "ids").SetName("export of 501 ids");
        yield return new TestCaseData("export", """{"after":"a/b"}""", "after").SetName("export after an invalid id");
    }

    [TestCaseSource(nameof(InvalidRequests))]
    [CancelAfter(30_000)]
    public async Task Action_InvalidData_E1003NamesTheField(string action, string json, string field, CancellationToken cancellationToken)
    {
        RemoteException error = await ErrorAsync(_plugin, action, json, cancellationToken);

        Assert.That(error.Code, Is.EqualTo("E1003"), error.Message);
        Assert.That(error.Details?.GetProperty("field").GetString(), Is.EqualTo(field), error.Message);
    }

    [Test, CancelAfter(30_000)]
    public async Task Action_DataOfTheWrongType_InvalidRequest(CancellationToken cancellationToken)
    {
        // The typed handler cannot read it: PluginIpc answers INVALID_REQUEST before the action runs (the gateway's E0002).
        RemoteException error = await ErrorAsync(_plugin, "update", """{"id":"x","version":"one"}""", cancellationToken);

        Assert.That(error.Code, Is.EqualTo(ErrorCodes.InvalidRequest));
    }

    [Test, CancelAfter(30_000)]
    public async Task Batch_MixedOperations_PerOperationResults_FailuresUndoneAlone(CancellationToken cancellationToken)
    {
        string a = NewId();
        string b = NewId();
        string missing = NewId();
        string json = $$$"""
            {"operations":[
              {"action":"create","data":{"id":"{{{a}}}","title":"A","content":"a1"}},
              {"action":"update","data":{"id":"{{{a}}}","content":"a2","version":1}},
              {"action":"update","data":{"id":"{{{a}}}","content":"stale","version":1}},
              {"action":"read","data":{"id":"{{{missing}}}"}},
              {"action":"create","data":{"id":"{{{b}}}"}},
              {"action":"create","data":{"id":"{{{b}}}","title":"B","content":"b1"}},
              {"action":"search","data":{"query":"a"}},
              {"action":"read","data":{"id":"{{{a}}}"}}
            ]}
            """;

        JsonArray results = (await CallAsync(_plugin, "batch", json, cancellationToken)).AsArray();

        Assert.That(results.Select(r => (bool?)r!["success"]), Is.EqualTo(new bool?[] { true, true, false, false, false, true, false, true }));
        Assert.That((long?)results[1]!["data"]!["version"], Is.EqualTo(2));
        Assert.That((string?)results[2]!["error"]!["code"], Is.EqualTo("E1002"));
        Assert.That((long?)results[2]!["error"]!["details"]!["currentVersion"], Is.EqualTo(2));
        Assert.That((string?)results[3]!["error"]!["code"], Is.EqualTo("E1001"));
        Assert.That((string?)results[4]!["error"]!["code"], Is.EqualTo("E1003"));
        Assert.That((string?)results[4]!["error"]!["details"]!["field"], Is.EqualTo("title"));
        Assert.That((string?)results[6]!["error"]!["details"]!["field"], Is.EqualTo("action"));
        Assert.That((string?)results[7]!["data"]!["content"], Is.EqualTo("a2"), "a later operation sees the earlier ones' writes");
        Assert.That(results[0]!.AsObject().ContainsKey("error"), Is.False, "a success carries data only");
        Assert.That(results[2]!.AsObject().ContainsKey("data"), Is.False, "a failure carries error only");

        // Committed: the successes are there, the failures left nothing.
        Assert.That((string?)(await CallAsync(_plugin, "read", $$"""{"id":"{{a}}"}""", cancellationToken))["content"], Is.EqualTo("a2"));
        Assert.That((string?)(await CallAsync(_plugin, "read", $$"""{"id":"{{b}}"}""", cancellationToken))["content"], Is.EqualTo("b1"));
        Assert.That(await CallAsync(_plugin, "history", $$"""{"id":"{{a}}"}""", cancellationToken), Has.Count.EqualTo(1));
    }

    [Test, CancelAfter(30_000)]
    public async Task Search_WordsInTitlesAndContents_HitsWithSnippets(CancellationToken cancellationToken)
    {
        string word = "zq" + Guid.NewGuid().ToString("N")[..10]; // a word no other test writes
        string inContent = NewId();
        string inTitle = NewId();
        await CallAsync(_plugin, "create", $$"""{"id":"{{inContent}}","title":"Notes","content":"Some text about {{word}}stone and more."}""", cancellationToken);
        await CallAsync(_plugin, "create", $$"""{"id":"{{inTitle}}","title":"All about {{word}}","content":"Nothing here."}""", cancellationToken);
        await CallAsync(_plugin, "create", $$"""{"title":"Unrelated","content":"{{word[..4]}} only a prefix of it"}""", cancellationToken);

        JsonArray hits = (await CallAsync(_plugin, "search", $$"""{"query":"{{word}}"}""", cancellationToken)).AsArray();

        Assert.That(hits.Select(h => (string?)h!["id"]), Is.EquivalentTo(new[] { inContent, inTitle }));
        JsonNode contentHit = hits.Single(h => (string?)h!["id"] == inContent)!;
        Assert.That((string?)contentHit["title"], Is.EqualTo("Notes"));
        Assert.That((string?)contentHit["snippet"], Does.Contain($"**{word}stone**"));

        JsonArray limited = (await CallAsync(_plugin, "search", $$"""{"query":"{{word}}","limit":1}""", cancellationToken)).AsArray();
        Assert.That(limited, Has.Count.EqualTo(1));

        // Words are taken literally, so FTS5 syntax never fails a search: here each such word must be in the page too.
        foreach (string odd in new[] { "\\\"unbalanced", "NEAR(a b)", "title:x OR", "content:" })
        {
            JsonNode none = await CallAsync(_plugin, "search", $$"""{"query":"{{odd}} {{word}}"}""", cancellationToken);
            Assert.That(none.AsArray(), Is.Empty, odd);
        }

        // A word of punctuation only has no letters to look for: it is left out, alone or beside others.
        foreach (string odd in new[] { "--", "*", "\\\"" })
        {
            JsonNode some = await CallAsync(_plugin, "search", $$"""{"query":"{{odd}} {{word}}"}""", cancellationToken);
            Assert.That(some.AsArray(), Has.Count.EqualTo(2), odd);
            JsonNode alone = await CallAsync(_plugin, "search", $$"""{"query":"{{odd}}"}""", cancellationToken);
            Assert.That(alone.AsArray(), Is.Empty, odd);
        }
    }

    [Test, CancelAfter(60_000)]
    public async Task Export_NamedIds_AndAllInBoundedPages_EachPageOnce(CancellationToken cancellationToken)
    {
        string prefix = NewId() + "-";
        var ids = Enumerable.Range(0, 520).Select(i => $"{prefix}{i:D3}").ToList();
        foreach (string[] chunk in ids.Chunk(100))
        {
            string operations = string.Join(',', chunk.Select(id => $$$"""{"action":"create","data":{"id":"{{{id}}}","title":"Export {{{id}}}"}}"""));
            JsonNode created = await CallAsync(_plugin, "batch", $$"""{"operations":[{{operations}}]}""", cancellationToken);
            Assert.That(created.AsArray().All(r => (bool?)r!["success"] == true), created.ToJsonString());
        }

        JsonNode named = await CallAsync(_plugin, "export", $$"""{"ids":["{{ids[7]}}","{{ids[3]}}","{{prefix}}missing"]}""", cancellationToken);
        Assert.That(named["pages"]!.AsArray().Select(p => (string?)p!["id"]), Is.EqualTo(new[] { ids[3], ids[7] }));
        Assert.That(named.AsObject().ContainsKey("next"), Is.False);

        var exported = new List<string>();
        var answers = new List<int>();
        string? after = null;
        do
        {
            JsonNode page = await CallAsync(_plugin, "export", after is null ? "{}" : $$"""{"after":"{{after}}"}""", cancellationToken);
            JsonArray pages = page["pages"]!.AsArray();
            answers.Add(pages.Count);
            exported.AddRange(pages.Select(p => (string)p!["id"]!));
            after = (string?)page["next"];
        }
        while (after is not null);

        Assert.That(answers, Has.All.LessThanOrEqualTo(500));
        Assert.That(answers, Has.Count.GreaterThan(1), "520 pages and more do not fit one answer");
        Assert.That(exported, Is.Unique.And.Ordered.Using((IComparer<string>)StringComparer.Ordinal));
        Assert.That(exported, Is.SupersetOf(ids));
    }

    [Test, CancelAfter(30_000)]
    public async Task History_PreviousVersionsNewestFirst_WithinTheLimit(CancellationToken cancellationToken)
    {
        string id = NewId();
        await CallAsync(_plugin, "create", $$"""{"id":"{{id}}","title":"t","content":"v1"}""", cancellationToken);
        for (int version = 1; version <= 3; version++)
        {
            await CallAsync(_plugin, "update", $$"""{"id":"{{id}}","content":"v{{version + 1}}","version":{{version}}}""", cancellationToken);
        }

        JsonArray history = (await CallAsync(_plugin, "history", $$"""{"id":"{{id}}"}""", cancellationToken)).AsArray();
        JsonArray limited = (await CallAsync(_plugin, "history", $$"""{"id":"{{id}}","limit":2}""", cancellationToken)).AsArray();

        Assert.That(history.Select(p => ((long?)p!["version"], (string?)p["content"])), Is.EqualTo(new[] { (3L, "v3"), (2L, "v2"), (1L, "v1") }));
        Assert.That(limited.Select(p => (long?)p!["version"]), Is.EqualTo(new long?[] { 3, 2 }));
    }

    [Test, CancelAfter(60_000)]
    public async Task Kill_AfterAcknowledgedWrites_RestartedPluginHasThemAll(CancellationToken cancellationToken)
    {
        string folder = NewFolder();
        try
        {
            string database = Path.Combine(folder, "pages.db");
            PluginOptions options = Options(database);
            options.RestartPolicy = new RestartPolicy { MaxRestarts = 1, InitialDelay = TimeSpan.FromMilliseconds(50) };
            var expected = new Dictionary<string, (long Version, string Content)>();
            await using (var plugin = new Plugin(options))
            {
                await plugin.StartAsync(cancellationToken);

                // 40 creates and 20 updates, 8 at a time; each is in the table once its answer came.
                for (int round = 0; round < 5; round++)
                {
                    var writes = new List<Task<JsonNode>>();
                    for (int i = 0; i < 8; i++)
                    {
                        writes.Add(CallAsync(plugin, "create", $$"""{"id":"crash-{{round}}-{{i}}","title":"t","content":"c"}""", cancellationToken));
                    }

                    foreach (JsonNode page in await Task.WhenAll(writes))
                    {
                        expected[(string)page["id"]!] = (1, "c");
                    }

                    writes = [.. Enumerable.Range(0, 4).Select(i => CallAsync(plugin, "update", $$"""{"id":"crash-{{round}}-{{i}}","content":"u","version":1}""", cancellationToken))];
                    foreach (JsonNode page in await Task.WhenAll(writes))
                    {
                        expected[(string)page["id"]!] = (2, "u");
                    }
                }

                // Writes still in flight when the process dies: they may or may not have landed, but they must not break the file.
                for (int i = 0; i < 8; i++)
                {
                    _ = Failure.Of(CallAsync(plugin, "create", $$"""{"id":"unacknowledged-{{i}}","title":"t"}""", cancellationToken));
                }

                int firstPid = plugin.ProcessId!.Value;
                Task<IReadOnlyList<PluginState>> running = PluginTestBase.WhenStateAsync(plugin, PluginState.Running, cancellationToken);
                using (Process process = Process.GetProcessById(firstPid))
                {
                    process.Kill(); // SIGKILL: no shutdown code runs, the connection is not closed cleanly
                }

                await running.WaitAsync(s_timeout, cancellationToken);
                Assert.That(plugin.ProcessId, Is.Not.EqualTo(firstPid));
                Assert.That(plugin.RestartCount, Is.EqualTo(1));
                await AssertPagesAsync(plugin, expected, cancellationToken);
            }

            // And once more in a new Plugin that names the database through PAGES_DB instead of --db.
            PluginOptions byEnvironment = Options(database: null);
            byEnvironment.Environment["PAGES_DB"] = database;
            await using (var again = new Plugin(byEnvironment))
            {
                await again.StartAsync(cancellationToken);
                await AssertPagesAsync(again, expected, cancellationToken);
                JsonNode all = await CallAsync(again, "export", "{}", cancellationToken);
                Assert.That(all["pages"]!.AsArray().Select(p => (string)p!["id"]!).Where(id => id.StartsWith("crash-", StringComparison.Ordinal)), Is.EquivalentTo(expected.Keys));
            }
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task Start_DatabaseCannotBeOpened_FailsSayingWhy(CancellationToken cancellationToken)
    {
        string folder = NewFolder();
        try
        {
            // A folder where the database file should be: SQLite cannot open it.
            await using var plugin = new Plugin(Options(folder));
            PluginStartException failure = await Failure.ThrowsAsync<PluginStartException>(() => plugin.StartAsync(cancellationToken));

            Assert.That(failure.Message, Does.Contain($"PagesPlugin cannot open its database '{folder}'"));
            Assert.That(plugin.State, Is.EqualTo(PluginState.Failed));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static async Task AssertPagesAsync(Plugin plugin, Dictionary<string, (long Version, string Content)> expected, CancellationToken cancellationToken)
    {
        foreach ((string id, (long version, string content)) in expected)
        {
            JsonNode page = await CallAsync(plugin, "read", $$"""{"id":"{{id}}"}""", cancellationToken);
            Assert.That(((long?)page["version"], (string?)page["content"]), Is.EqualTo((version, content)), id);
        }
    }

    /// <summary>Sends <paramref name="json"/> as the action's data, as the gateway does, and parses the answer.</summary>
    private static async Task<JsonNode> CallAsync(Plugin plugin, string action, string json, CancellationToken cancellationToken)
    {
        JsonNode? answer = await plugin.CallAsync<JsonNode?, JsonNode?>(action, JsonNode.Parse(json), cancellationToken);
        return answer ?? throw new AssertionException($"'{action}' answered null.");
    }

    private static Task<RemoteException> ErrorAsync(Plugin plugin, string action, string json, CancellationToken cancellationToken) =>
        Failure.ThrowsAsync<RemoteException>(() => CallAsync(plugin, action, json, cancellationToken));

    private static PluginOptions Options(string? database)
    {
        string dll = Path.Combine(AppContext.BaseDirectory, "PagesPlugin.dll");
        if (!File.Exists(dll))
        {
            throw new FileNotFoundException("PagesPlugin was not copied next to the tests; it is a ProjectReference of the test project.", dll);
        }

        var options = new PluginOptions
        {
            ExecutablePath = TestPlugin.DotnetPath,
            Serializer = new JsonPluginSerializer(), // the web defaults, as the plugin's: camelCase JSON
            StartTimeout = s_timeout,
        };
        options.Arguments.Add("exec");
        options.Arguments.Add(dll);
        if (database is not null)
        {
            options.Arguments.Add("--db");
            options.Arguments.Add(database);
        }

        return options;
    }

    private static string NewFolder()
    {
        string folder = Path.Combine(Path.GetTempPath(), "pagesplugin-tests-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(folder);
        return folder;
    }

    private static string NewId() => "p-" + Guid.NewGuid().ToString("N")[..12];
}
