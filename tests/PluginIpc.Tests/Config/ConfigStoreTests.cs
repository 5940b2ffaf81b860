using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PluginIpc.Tests.Bus;
using PluginIpc.Tests.Host;

namespace PluginIpc.Tests.Config;

/// <summary>The host's configuration store, in process: files, atomic writes, no lost updates, limits, names, notifications.</summary>
public sealed class ConfigStoreTests
{
    private ConfigFolder _folder = null!;
    private ServiceProvider _services = null!;
    private IPluginConfigStore _store = null!;

    [SetUp]
    public void SetUp()
    {
        _folder = new ConfigFolder();
        _services = Services(_folder.Path);
        _store = _services.GetRequiredService<IPluginConfigStore>();
    }

    [TearDown]
    public async Task TearDown()
    {
        await _services.DisposeAsync();
        _folder.Dispose();
    }

    [Test]
    public async Task NoFile_IsAnEmptyObject_AndAnAbsentKeyIsNull()
    {
        JsonElement all = await _store.GetAsync("echo", PluginConfigScope.User);

        Assert.That(all.ValueKind, Is.EqualTo(JsonValueKind.Object));
        Assert.That(all.EnumerateObject().Count(), Is.Zero);
        Assert.That(await _store.GetAsync("echo", PluginConfigScope.User, "theme"), Is.Null);
        Assert.That(Directory.Exists(_folder.Path), Is.False, "reading creates nothing");
    }

    [Test]
    public async Task SetGetRemove_KeepOneJsonObjectPerScopeAndPlugin()
    {
        await _store.SetAsync("echo", PluginConfigScope.User, "theme", Json("\"dark\""));
        await _store.SetAsync("echo", PluginConfigScope.User, "size", Json("{\"w\":3,\"h\":[1,2]}"));
        await _store.SetAsync("echo", PluginConfigScope.Plugin, "theme", Json("\"light\""));
        await _store.SetAsync("echo", PluginConfigScope.User, "theme", Json("null"));

        Assert.That((await _store.GetAsync("echo", PluginConfigScope.User, "theme"))!.Value.ValueKind, Is.EqualTo(JsonValueKind.Null), "JSON null is a value");
        Assert.That((await _store.GetAsync("echo", PluginConfigScope.User, "size"))!.Value.GetProperty("h")[1].GetInt32(), Is.EqualTo(2));
        Assert.That((await _store.GetAsync("echo", PluginConfigScope.Plugin, "theme"))!.Value.GetString(), Is.EqualTo("light"));
        Assert.That(await _store.GetAsync("other", PluginConfigScope.User, "theme"), Is.Null);
        using (JsonDocument onDisk = JsonDocument.Parse(await File.ReadAllBytesAsync(_folder.File("user", "echo"))))
        {
            Assert.That(onDisk.RootElement.EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "theme", "size" }), "replaced in its place");
        }

        Assert.That(await _store.RemoveAsync("echo", PluginConfigScope.User, "theme"), Is.True);
        Assert.That(await _store.RemoveAsync("echo", PluginConfigScope.User, "theme"), Is.False);
        Assert.That((await _store.GetAsync("echo", PluginConfigScope.User)).GetRawText(), Does.Not.Contain("theme"));
        Assert.That(Directory.GetFiles(_folder.Path, "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(_folder.Path, f)).Order(),
            Is.EqualTo(new[] { Path.Combine("plugin", "echo.json"), Path.Combine("user", "echo.json") }), "no temporary file is left");
    }

    [Test]
    public async Task LeftoverAndTornTemporaryFiles_AreIgnored()
    {
        await _store.SetAsync("echo", PluginConfigScope.User, "theme", Json("\"dark\""));
        string folder = Path.Combine(_folder.Path, "user");

        // What a crash between the write and the rename leaves: a temporary file, half written.
        string torn = Path.Combine(folder, "echo.json." + Guid.NewGuid().ToString("N") + ".tmp");
        await File.WriteAllTextAsync(torn, "{\"theme\":\"li");
        await File.WriteAllTextAsync(Path.Combine(folder, "echo.json." + Guid.NewGuid().ToString("N") + ".tmp"), "");

        await using ServiceProvider restarted = Services(_folder.Path); // a new process: no cache
        IPluginConfigStore store = restarted.GetRequiredService<IPluginConfigStore>();
        Assert.That((await store.GetAsync("echo", PluginConfigScope.User, "theme"))!.Value.GetString(), Is.EqualTo("dark"));
        await store.SetAsync("echo", PluginConfigScope.User, "size", Json("2"));
        Assert.That((await store.GetAsync("echo", PluginConfigScope.User)).GetRawText(), Does.Contain("dark").And.Contain("size"));
        Assert.That(await File.ReadAllTextAsync(torn), Is.EqualTo("{\"theme\":\"li"), "left as it is");
    }

    [Test, CancelAfter(60_000)]
    public async Task HundredConcurrentSets_OfDifferentKeys_LoseNoUpdate()
    {
        await Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(() => _store.SetAsync("echo", PluginConfigScope.User, "k" + i, Json(i.ToString(System.Globalization.CultureInfo.InvariantCulture))))));

        await using ServiceProvider fresh = Services(_folder.Path);
        JsonElement all = await fresh.GetRequiredService<IPluginConfigStore>().GetAsync("echo", PluginConfigScope.User);
        Assert.That(all.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal), Is.EqualTo(Enumerable.Range(0, 100).Select(i => "k" + i).Order(StringComparer.Ordinal)));
    }

    [Test, CancelAfter(60_000)]
    public async Task ReadsDuringTwoHundredConcurrentWrites_NeverSeeHalfAFile()
    {
        await _store.SetAsync("echo", PluginConfigScope.User, "start", Json("0"));
        string file = _folder.File("user", "echo");
        string bulk = new('x', 64 * 1024); // a file of a few hundred KiB: a write in place would be seen half done
        using var done = new CancellationTokenSource();
        int reads = 0;

        async Task ReadAsync()
        {
            while (!done.IsCancellationRequested)
            {
                byte[] bytes = await File.ReadAllBytesAsync(file, CancellationToken.None);
                using JsonDocument document = JsonDocument.Parse(bytes); // throws on half a file
                Assert.That(document.RootElement.ValueKind, Is.EqualTo(JsonValueKind.Object));
                _ = await _store.GetAsync("echo", PluginConfigScope.User, "start");
                Interlocked.Increment(ref reads);
            }
        }

        Task[] readers = [.. Enumerable.Range(0, 4).Select(_ => Task.Run(ReadAsync))];
        await Task.WhenAll(Enumerable.Range(0, 200).Select(i => Task.Run(() => _store.SetAsync("echo", PluginConfigScope.User, "k" + (i % 5), Json($"\"{i}{bulk}\"")))));
        await done.CancelAsync();
        await Task.WhenAll(readers);

        Assert.That(reads, Is.GreaterThan(0));
        Assert.That(Directory.GetFiles(Path.GetDirectoryName(file)!), Has.Length.EqualTo(1), "no temporary file is left");
    }

    [Test]
    public async Task AChangeThatWouldPassTheSizeLimit_FailsClearly_AndChangesNothing()
    {
        await using ServiceProvider small = Services(_folder.Path, maxFileBytes: 100);
        IPluginConfigStore store = small.GetRequiredService<IPluginConfigStore>();
        await store.SetAsync("echo", PluginConfigScope.User, "a", Json("1"));
        string before = await File.ReadAllTextAsync(_folder.File("user", "echo"));

        InvalidOperationException? tooLarge = Assert.CatchAsync<InvalidOperationException>(() => store.SetAsync("echo", PluginConfigScope.User, "b", Json($"\"{new string('x', 100)}\"")));

        Assert.That(tooLarge!.Message, Does.Contain("MaxFileBytes (100)").And.Contain(_folder.File("user", "echo")));
        Assert.That(await File.ReadAllTextAsync(_folder.File("user", "echo")), Is.EqualTo(before));
        Assert.That(await store.GetAsync("echo", PluginConfigScope.User, "b"), Is.Null);

        await File.WriteAllTextAsync(_folder.File("user", "big"), $"{{\"a\":\"{new string('x', 200)}\"}}");
        InvalidDataException? bigFile = Assert.ThrowsAsync<InvalidDataException>(() => store.GetAsync("big", PluginConfigScope.User));
        Assert.That(bigFile!.Message, Does.Contain(_folder.File("user", "big")).And.Contain("more than PluginConfigOptions.MaxFileBytes (100)"));
    }

    [Test]
    public async Task KeysAndValues_AreChecked()
    {
        Assert.ThrowsAsync<ArgumentException>(() => _store.SetAsync("echo", PluginConfigScope.User, "", Json("1")));
        Assert.ThrowsAsync<ArgumentException>(() => _store.SetAsync("echo", PluginConfigScope.User, new string('k', PluginConfigOptions.MaxKeyLength + 1), Json("1")));
        Assert.ThrowsAsync<ArgumentException>(() => _store.GetAsync("echo", PluginConfigScope.User, new string('k', PluginConfigOptions.MaxKeyLength + 1)));
        Assert.ThrowsAsync<ArgumentException>(() => _store.SetAsync("echo", PluginConfigScope.User, "k", default));
        Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => _store.SetAsync("echo", (PluginConfigScope)7, "k", Json("1")));

        await _store.SetAsync("echo", PluginConfigScope.User, new string('k', PluginConfigOptions.MaxKeyLength), Json("1"));
        Assert.That(await _store.GetAsync("echo", PluginConfigScope.User, new string('k', PluginConfigOptions.MaxKeyLength)), Is.Not.Null);
    }

    [TestCase("..")]
    [TestCase(".")]
    [TestCase("")]
    [TestCase("../escape")]
    [TestCase("a/b")]
    [TestCase("a\\b")]
    [TestCase("c:x")]
    [TestCase("tab\there")]
    [TestCase(" padded")]
    [TestCase("con")]
    [TestCase("NUL")]
    [TestCase("Aux.settings")]
    [TestCase("com1")]
    [TestCase("LPT9.x.y")]
    [TestCase("prn .x")]
    [TestCase("com\u00B9")]
    public void UnsafePluginNames_AreRefused_AndNothingIsWritten(string name)
    {
        ArgumentException? refused = Assert.ThrowsAsync<ArgumentException>(() => _store.SetAsync(name, PluginConfigScope.User, "k", Json("1")));
        Assert.That(refused!.ParamName, Is.EqualTo("plugin"));
        Assert.ThrowsAsync<ArgumentException>(() => _store.GetAsync(name, PluginConfigScope.User));
        Assert.That(Directory.Exists(_folder.Path), Is.False);
    }

    [Test]
    public async Task NamesThatOnlyLookLikeDevices_AreFine()
    {
        foreach (string name in new[] { "console", "nul-ish", "com10", "lpt", "my.con", "comx" })
        {
            await _store.SetAsync(name, PluginConfigScope.User, "k", Json("1"));
            Assert.That(await _store.GetAsync(name, PluginConfigScope.User, "k"), Is.Not.Null, name);
        }
    }

    [Test]
    public async Task PluginNames_AreLimitedByTheirUtf8Bytes_SoEveryFileOfTheStoreCanBeWritten()
    {
        // 200 bytes: 200 ASCII characters, 100 two-byte ones, 50 four-byte ones (100 UTF-16 units); the temporary file's name is 242 bytes.
        foreach (string name in new[] { new string('a', 200), string.Concat(Enumerable.Repeat("\u00E9", 100)), string.Concat(Enumerable.Repeat("\U0001F600", 50)) })
        {
            await _store.SetAsync(name, PluginConfigScope.User, "k", Json("1"));
            await using ServiceProvider fresh = Services(_folder.Path);
            Assert.That((await fresh.GetRequiredService<IPluginConfigStore>().GetAsync(name, PluginConfigScope.User, "k"))!.Value.GetInt32(), Is.EqualTo(1));
        }

        // 201 bytes in 101 characters: under the old limit of 128 characters, but its temporary file's name would pass 255 bytes on most systems.
        string tooLong = string.Concat(Enumerable.Repeat("\u00E9", 100)) + "x";
        ArgumentException? refused = Assert.ThrowsAsync<ArgumentException>(() => _store.SetAsync(tooLong, PluginConfigScope.User, "k", Json("1")));
        Assert.That(refused!.ParamName, Is.EqualTo("plugin"));
        Assert.That(refused.Message, Does.Contain("201 bytes in UTF-8, more than 200"));
        Assert.ThrowsAsync<ArgumentException>(() => _store.GetAsync(string.Concat(Enumerable.Repeat("\u00E9", 120)), PluginConfigScope.User));
        Assert.That(Directory.GetFiles(Path.Combine(_folder.Path, "user")), Has.Length.EqualTo(3));
    }

    [Test]
    public async Task NamesAndKeysWithAnUnpairedSurrogate_AreRefused_APairIsACharacterLikeAny()
    {
        // Not test cases: an attribute's strings are stored as UTF-8, which has no unpaired surrogate.
        foreach (string name in new[] { "half\uD800", "\uDC00half", "a\uDC00\uD800b" })
        {
            ArgumentException? plugin = Assert.ThrowsAsync<ArgumentException>(() => _store.SetAsync(name, PluginConfigScope.User, "k", Json("1")));
            Assert.That(plugin!.ParamName, Is.EqualTo("plugin"));
            Assert.That(plugin.Message, Does.Contain("unpaired surrogate"));
        }

        Assert.That(Directory.Exists(_folder.Path), Is.False);

        ArgumentException? high = Assert.ThrowsAsync<ArgumentException>(() => _store.SetAsync("echo", PluginConfigScope.User, "a\uD800b", Json("1")));
        Assert.That(high!.ParamName, Is.EqualTo("key"));
        Assert.That(high.Message, Does.Contain("unpaired surrogate (U+D800 at index 1)"));
        Assert.ThrowsAsync<ArgumentException>(() => _store.GetAsync("echo", PluginConfigScope.User, "\uDC00"));
        Assert.ThrowsAsync<ArgumentException>(() => _store.RemoveAsync("echo", PluginConfigScope.User, "end\uD83D"));

        await _store.SetAsync("echo", PluginConfigScope.User, "smile \U0001F600", Json("1"));
        Assert.That((await _store.GetAsync("echo", PluginConfigScope.User)).EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "smile \U0001F600" }));
    }

    [Test]
    public async Task AValueNestedDeeperThanAFileCanHold_IsRefusedClearly_AndTheFileStaysReadable()
    {
        await _store.SetAsync("echo", PluginConfigScope.User, "theme", Json("\"dark\""));

        // 63 deep is the most: inside the file's object it is 64, JSON's usual limit; it is written, read back and removed.
        await _store.SetAsync("echo", PluginConfigScope.User, "deepest", Json(Nested(ConfigNames.MaxValueDepth)));
        await using (ServiceProvider fresh = Services(_folder.Path))
        {
            IPluginConfigStore reader = fresh.GetRequiredService<IPluginConfigStore>();
            Assert.That(JsonElement.DeepEquals((await reader.GetAsync("echo", PluginConfigScope.User, "deepest"))!.Value, Json(Nested(ConfigNames.MaxValueDepth))), Is.True);
            Assert.That(await reader.RemoveAsync("echo", PluginConfigScope.User, "deepest"), Is.True);
        }

        // 64 deep was accepted, and made a 65 deep file that no read, set or remove could open again.
        ArgumentException? deep = Assert.ThrowsAsync<ArgumentException>(() => _store.SetAsync("echo", PluginConfigScope.User, "deep", Json(Nested(64))));
        Assert.That(deep!.ParamName, Is.EqualTo("value"));
        Assert.That(deep.Message, Does.Contain("more than 63 deep"));

        // A value from a document read with a larger depth (host code may make one) is refused the same way.
        using JsonDocument deeper = JsonDocument.Parse(Nested(500), new JsonDocumentOptions { MaxDepth = 1000 });
        Assert.ThrowsAsync<ArgumentException>(() => _store.SetAsync("echo", PluginConfigScope.User, "deeper", deeper.RootElement));

        await using ServiceProvider restarted = Services(_folder.Path);
        IPluginConfigStore store = restarted.GetRequiredService<IPluginConfigStore>();
        Assert.That((await store.GetAsync("echo", PluginConfigScope.User)).EnumerateObject().Select(p => p.Name), Is.EqualTo(new[] { "theme" }));
        await store.SetAsync("echo", PluginConfigScope.User, "size", Json("2"));
    }

    [Test]
    public void AJsonException_IsAnsweredInvalidRequest_NotAsAHandlerFailure()
    {
        RemoteException? answer = HostConfigCommands.Translate(new JsonException("The maximum configured depth of 64 has been exceeded."), Commands.ConfigSet);

        Assert.That(answer, Is.Not.Null);
        Assert.That((answer!.Code, answer.Cmd), Is.EqualTo((ErrorCodes.InvalidRequest, Commands.ConfigSet)));
        Assert.That(answer.Message, Does.Contain("maximum configured depth of 64"));
    }

    [Test]
    public async Task StaleTemporaryFiles_AreRemovedOnTheFirstUseOfTheirFolder_LiveOnesAndOtherFilesAreKept()
    {
        string folder = Path.Combine(_folder.Path, "user");
        Directory.CreateDirectory(folder);
        DateTime old = DateTime.UtcNow - PluginConfigStore.StaleTemporaryAge - TimeSpan.FromMinutes(1);
        string Temporary(string plugin) => Path.Combine(folder, $"{plugin}.json.{Guid.NewGuid():N}.tmp");
        string stale = Temporary("echo");
        string staleOfAnother = Temporary("other");
        string live = Temporary("echo"); // a concurrent writer's (another process sharing the folder)
        string[] others = [Path.Combine(folder, "notes.tmp"), Path.Combine(folder, "echo.json.bak.tmp"), Path.Combine(folder, $"echo.json.{Guid.NewGuid():N}.tmp.keep")];
        foreach (string file in (string[])[stale, staleOfAnother, live, .. others])
        {
            await File.WriteAllTextAsync(file, "{\"theme\":\"li");
            File.SetLastWriteTimeUtc(file, file == live ? DateTime.UtcNow : old);
        }

        Assert.That(await _store.GetAsync("echo", PluginConfigScope.User, "theme"), Is.Null);

        Assert.That(Directory.GetFiles(folder).Order(StringComparer.Ordinal), Is.EqualTo(((string[])[live, .. others]).Order(StringComparer.Ordinal)));
        Assert.That(Directory.Exists(Path.Combine(_folder.Path, "plugin")), Is.False, "reading another scope creates nothing");
        Assert.That(await _store.GetAsync("echo", PluginConfigScope.Plugin), Has.Property(nameof(JsonElement.ValueKind)).EqualTo(JsonValueKind.Object));
    }

    [Test]
    public async Task ACorruptFile_IsLoggedOncePerVersion_NotAtEveryRead()
    {
        var logs = new CapturingLoggerFactory();
        await using ServiceProvider services = Services(_folder.Path, logs: logs);
        IPluginConfigStore store = services.GetRequiredService<IPluginConfigStore>();
        string file = _folder.File("user", "echo");
        Directory.CreateDirectory(Path.GetDirectoryName(file)!);
        int Warnings() => logs.Entries.Count(e => e.EventId.Id == 901 && e.Level == LogLevel.Warning);

        await File.WriteAllTextAsync(file, "{\"a\": ");
        for (int i = 0; i < 3; i++)
        {
            Assert.ThrowsAsync<InvalidDataException>(() => store.GetAsync("echo", PluginConfigScope.User));
        }

        Assert.ThrowsAsync<InvalidDataException>(() => store.SetAsync("echo", PluginConfigScope.User, "a", Json("1")));
        Assert.That(Warnings(), Is.EqualTo(1), "one file, one version: one warning");

        await File.WriteAllTextAsync(file, "[1, 2, 3]"); // another fault, another size
        Assert.ThrowsAsync<InvalidDataException>(() => store.GetAsync("echo", PluginConfigScope.User));
        Assert.ThrowsAsync<InvalidDataException>(() => store.GetAsync("echo", PluginConfigScope.User));
        Assert.That(Warnings(), Is.EqualTo(2));

        await File.WriteAllTextAsync(file, "{}"); // fixed, then broken again as the first time
        Assert.That((await store.GetAsync("echo", PluginConfigScope.User)).ValueKind, Is.EqualTo(JsonValueKind.Object));
        await File.WriteAllTextAsync(file, "{\"a\": ");
        Assert.ThrowsAsync<InvalidDataException>(() => store.GetAsync("echo", PluginConfigScope.User));
        Assert.That(Warnings(), Is.EqualTo(3));
    }

    [Test]
    public async Task ACorruptFile_IsAClearErrorNamingIt_AndIsLeftAsItIs()
    {
        Directory.CreateDirectory(Path.Combine(_folder.Path, "user"));
        await File.WriteAllTextAsync(_folder.File("user", "array"), "[1, 2]");
        await File.WriteAllTextAsync(_folder.File("user", "broken"), "{\"a\": ");

        InvalidDataException? array = Assert.ThrowsAsync<InvalidDataException>(() => _store.GetAsync("array", PluginConfigScope.User));
        Assert.That(array!.Message, Does.Contain(_folder.File("user", "array")).And.Contain("array, not an object"));
        InvalidDataException? broken = Assert.ThrowsAsync<InvalidDataException>(() => _store.SetAsync("broken", PluginConfigScope.User, "a", Json("1")));
        Assert.That(broken!.Message, Does.Contain(_folder.File("user", "broken")));
        Assert.That(await File.ReadAllTextAsync(_folder.File("user", "broken")), Is.EqualTo("{\"a\": "));

        await File.WriteAllTextAsync(_folder.File("user", "array"), "{ /* fixed by hand */ \"a\": 1 }");
        Assert.That((await _store.GetAsync("array", PluginConfigScope.User, "a"))!.Value.GetInt32(), Is.EqualTo(1), "comments are allowed; fixed, it reads");
    }

    [Test]
    public async Task AFileChangedOutsideTheStore_IsReadAgain()
    {
        await _store.SetAsync("echo", PluginConfigScope.User, "theme", Json("\"dark\""));
        Assert.That((await _store.GetAsync("echo", PluginConfigScope.User, "theme"))!.Value.GetString(), Is.EqualTo("dark"));

        await File.WriteAllTextAsync(_folder.File("user", "echo"), "{\"theme\":\"light, edited by hand\"}");

        Assert.That((await _store.GetAsync("echo", PluginConfigScope.User, "theme"))!.Value.GetString(), Is.EqualTo("light, edited by hand"));
    }

    [Test]
    public async Task HostSubscribers_SeeEveryChange_AChangeThatChangesNothingRaisesNothing()
    {
        var seen = new Received<string>();
        await _services.GetRequiredService<IPluginBus>().SubscribeAsync(BusTopics.ConfigChanged, seen.Handler(m => $"{m.Text}|{m.Publisher ?? "host"}|{m.Sequence}"));

        await _store.SetAsync("echo", PluginConfigScope.User, "theme", Json("\"dark\""));
        await _store.SetAsync("echo", PluginConfigScope.User, "theme", Json("\"dark\""));
        Assert.That(await _store.RemoveAsync("echo", PluginConfigScope.User, "absent"), Is.False);
        await _store.RemoveAsync("other", PluginConfigScope.System, "theme");
        await _store.SetAsync("other", PluginConfigScope.System, "x", Json("[]"));

        Assert.That(await seen.NextAsync(2), Is.EqualTo(new[]
        {
            """{"plugin":"echo","scope":"user","key":"theme"}|host|0""",
            """{"plugin":"other","scope":"system","key":"x"}|host|0""",
        }));
        Assert.That(seen.TryTake(out _), Is.False);
    }

    [Test]
    public async Task AReaderOfTheOldFile_DoesNotCacheItOverANewerWrite_WhenTimestampsAreCoarse()
    {
        var store = (PluginConfigStore)_store;
        string path = _folder.File("user", "echo");
        await store.SetAsync("echo", PluginConfigScope.User, "theme", Json("\"aaaa\""));

        // A file system with coarse timestamps (FAT, some network shares): the old and the new file, of one size, look alike.
        DateTime coarse = File.GetLastWriteTimeUtc(path).AddSeconds(-10);
        File.SetLastWriteTimeUtc(path, coarse); // the reader below misses the cache and reads the old file
        var paused = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var resume = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        store.BeforeReadCached = async () =>
        {
            store.BeforeReadCached = null;
            paused.SetResult();
            await resume.Task;
        };
        Task<JsonElement?> reader = store.GetAsync("echo", PluginConfigScope.User, "theme");
        await paused.Task.WaitAsync(TimeSpan.FromSeconds(20));

        // The old file read and not yet cached: a writer renames the new one over it and caches it; it gets the old one's time.
        await store.SetAsync("echo", PluginConfigScope.User, "theme", Json("\"bbbb\""));
        File.SetLastWriteTimeUtc(path, coarse);
        resume.SetResult();
        Assert.That((await reader)!.Value.GetString(), Is.EqualTo("aaaa"), "the reader read the file it opened");

        // The next change starts from the file as it is, not from the reader's old copy.
        await store.SetAsync("echo", PluginConfigScope.User, "size", Json("2"));
        using JsonDocument onDisk = JsonDocument.Parse(await File.ReadAllBytesAsync(path));
        Assert.That(onDisk.RootElement.GetProperty("theme").GetString(), Is.EqualTo("bbbb"), "the second write was not lost");
        Assert.That(onDisk.RootElement.GetProperty("size").GetInt32(), Is.EqualTo(2));
    }

    [Test]
    public async Task AWrite_FlushesTheFolder_AfterTheRename()
    {
        var store = (PluginConfigStore)_store;
        string path = _folder.File("user", "echo");
        var flushed = new List<(string Folder, string Content)>();
        store.FlushFolder = folder =>
        {
            flushed.Add((folder, File.ReadAllText(path)));
            return DirectorySync.TryFlush(folder);
        };

        await store.SetAsync("echo", PluginConfigScope.User, "theme", Json("\"dark\""));

        Assert.That(flushed, Has.Count.EqualTo(1));
        Assert.That(flushed[0].Folder, Is.EqualTo(Path.GetDirectoryName(path)));
        Assert.That(flushed[0].Content, Does.Contain("dark"), "after the rename: the folder holds the new file's name");
    }

    [Test]
    public void DirectorySync_FlushesAFolderOnUnix_AndReportsWhatItCannot()
    {
        Directory.CreateDirectory(_folder.Path);
        bool unix = OperatingSystem.IsLinux() || OperatingSystem.IsMacOS();
        Assert.That(DirectorySync.TryFlush(_folder.Path), Is.EqualTo(unix));
        Assert.That(DirectorySync.TryFlush(Path.Combine(_folder.Path, "absent")), Is.False);
    }

    [Test]
    public void Options_AreChecked_WhenTheStoreIsMade()
    {
        using ServiceProvider services = Services(_folder.Path, maxFileBytes: 1);
        Assert.Throws<ArgumentOutOfRangeException>(() => services.GetRequiredService<IPluginConfigStore>());
        Assert.That(new PluginConfigOptions().Directory, Is.EqualTo(PluginConfigOptions.DefaultDirectory));
        Assert.That(PluginConfigOptions.DefaultDirectory, Does.EndWith(Path.Combine("PluginIpc", "testhost", "config")).Or.EndWith("config"));
    }

    internal static JsonElement Json(string text)
    {
        using JsonDocument document = JsonDocument.Parse(Encoding.UTF8.GetBytes(text));
        return document.RootElement.Clone();
    }

    private static string Nested(int depth) => new string('[', depth) + new string(']', depth);

    private static ServiceProvider Services(string folder, long maxFileBytes = 1024 * 1024, ILoggerFactory? logs = null)
    {
        var services = new ServiceCollection();
        if (logs is not null)
        {
            services.AddSingleton(logs);
        }

        return services
            .AddPluginIpc(o =>
            {
                o.PluginFolders.Clear();
                o.Config.Directory = folder;
                o.Config.MaxFileBytes = maxFileBytes;
            })
            .BuildServiceProvider();
    }
}
