using System.Text;
using System.Text.Json;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc.Tests.Bus;

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
    public void UnsafePluginNames_AreRefused_AndNothingIsWritten(string name)
    {
        ArgumentException? refused = Assert.ThrowsAsync<ArgumentException>(() => _store.SetAsync(name, PluginConfigScope.User, "k", Json("1")));
        Assert.That(refused!.ParamName, Is.EqualTo("plugin"));
        Assert.ThrowsAsync<ArgumentException>(() => _store.GetAsync(name, PluginConfigScope.User));
        Assert.That(Directory.Exists(_folder.Path), Is.False);
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

    private static ServiceProvider Services(string folder, long maxFileBytes = 1024 * 1024) =>
        new ServiceCollection()
            .AddPluginIpc(o =>
            {
                o.PluginFolders.Clear();
                o.Config.Directory = folder;
                o.Config.MaxFileBytes = maxFileBytes;
            })
            .BuildServiceProvider();
}
