using System.Globalization;
using System.Text.Json;
using PluginIpc.Tests.Bus;

namespace PluginIpc.Tests.Config;

/// <summary>Plugin processes use the host's configuration store through Main.Config; a change tells only the plugin changed.</summary>
[Category("Process")]
public sealed class ConfigPluginProcessTests
{
    private ConfigFolder _folder = null!;

    [SetUp]
    public void SetUp() => _folder = new ConfigFolder();

    [TearDown]
    public void TearDown() => _folder.Dispose();

    [Test, CancelAfter(90_000)]
    public async Task APlugin_GetsSetsAndRemoves_ItsOwnConfiguration_InTheHostsStore_InBothFormats()
    {
        await using var host = new BusPlugins(
            o => o.Config.Directory = _folder.Path,
            new BusPluginSpec("m"),
            new BusPluginSpec("j", ["json"], o => o.Serializer = new JsonPluginSerializer(), "text"));
        await host.Config.SetAsync("m", PluginConfigScope.System, "limit", ConfigStoreTests.Json("5"));

        foreach (string name in new[] { "m", "j" })
        {
            Assert.That(await host.AskAsync(name, "cfg.get", "user|theme"), Is.EqualTo("absent"));
            Assert.That(await host.AskAsync(name, "cfg.set", "user|theme|{\"name\":\"dark\",\"n\":[1.5,null]}"), Is.EqualTo("ok"));
            Assert.That(await host.AskAsync(name, "cfg.get", "user|theme"), Is.EqualTo("{\"name\":\"dark\",\"n\":[1.5,null]}"));
            Assert.That((await host.Config.GetAsync(name, PluginConfigScope.User, "theme"))!.Value.GetProperty("name").GetString(), Is.EqualTo("dark"), "the host's store, under the plugin's name");
            Assert.That(File.Exists(_folder.File("user", name)));
            Assert.That(await host.AskAsync(name, "cfg.remove", "user|theme"), Is.EqualTo("True"));
            Assert.That(await host.AskAsync(name, "cfg.remove", "user|theme"), Is.EqualTo("False"));
            Assert.That(await host.AskAsync(name, "cfg.get", "user|"), Is.EqualTo("{}"));
        }

        Assert.That(await host.AskAsync("m", "cfg.get", "system|limit"), Is.EqualTo("5"), "a plugin reads its system scope");
        Assert.That(await host.AskAsync("j", "cfg.get", "system|limit"), Is.EqualTo("absent"), "and only its own");
    }

    [Test, CancelAfter(90_000)]
    public async Task TheChangedHook_RunsOnlyInThePluginChanged_ForTheHostsChangesAndItsOwn()
    {
        await using var host = new BusPlugins(o => o.Config.Directory = _folder.Path, new BusPluginSpec("a"), new BusPluginSpec("b"));
        var atHost = new Received<string>();
        await host.Bus.SubscribeAsync(BusTopics.ConfigChanged, atHost.Handler(m => $"{m.Text}|{m.Publisher ?? "host"}"));
        await host.StartAsync("a", "b");

        await host.Config.SetAsync("a", PluginConfigScope.User, "theme", ConfigStoreTests.Json("\"dark\""));
        Assert.That(await host.ConfigChanged("a").NextAsync(), Is.EqualTo("""{"plugin":"a","scope":"user","key":"theme"}"""));

        Assert.That(await host.AskAsync("a", "cfg.set", "plugin|size|3"), Is.EqualTo("ok"));
        Assert.That(await host.ConfigChanged("a").NextAsync(), Is.EqualTo("""{"plugin":"a","scope":"plugin","key":"size"}"""), "a plugin's own change runs its hook too");

        await host.Config.SetAsync("b", PluginConfigScope.User, "theme", ConfigStoreTests.Json("\"light\""));
        Assert.That(await host.ConfigChanged("b").NextAsync(), Is.EqualTo("""{"plugin":"b","scope":"user","key":"theme"}"""), "b's first: it never got a's, which would have come before");
        Assert.That(host.ConfigChanged("a").TryTake(out _), Is.False);
        Assert.That(await atHost.NextAsync(3), Is.EqualTo(new[]
        {
            """{"plugin":"a","scope":"user","key":"theme"}|host""",
            """{"plugin":"a","scope":"plugin","key":"size"}|a""",
            """{"plugin":"b","scope":"user","key":"theme"}|host""",
        }), "the host's subscribers see every plugin's changes, with who made them");
    }

    [Test, CancelAfter(90_000)]
    public async Task TheSystemScope_IsReadOnlyForPlugins_UnlessTheHostAllowsIt()
    {
        await using var host = new BusPlugins(
            o => o.Config.Directory = _folder.Path,
            new BusPluginSpec("ro"),
            new BusPluginSpec("rw", [], o => o.AllowSystemConfigWrites = true));

        RemoteException? refused = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("ro", "cfg.set", "system|limit|1"));
        Assert.That(refused!.Message, Does.StartWith("UnauthorizedAccessException: Plugin 'ro' may not change its system configuration"));
        RemoteException? removal = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("ro", "cfg.remove", "system|limit"));
        Assert.That(removal!.Message, Does.StartWith("UnauthorizedAccessException"));
        Assert.That(Directory.Exists(Path.Combine(_folder.Path, "system")), Is.False);

        Assert.That(await host.AskAsync("rw", "cfg.set", "system|limit|1"), Is.EqualTo("ok"));
        Assert.That((await host.Config.GetAsync("rw", PluginConfigScope.System, "limit"))!.Value.GetInt32(), Is.EqualTo(1));
    }

    [Test, CancelAfter(90_000)]
    public async Task TheHostsErrors_ReachThePlugin_AsTheStoresExceptions()
    {
        await using var host = new BusPlugins(o =>
        {
            o.Config.Directory = _folder.Path;
            o.Config.MaxFileBytes = 64;
        }, new BusPluginSpec("p"));
        Directory.CreateDirectory(Path.Combine(_folder.Path, "plugin"));
        await File.WriteAllTextAsync(_folder.File("plugin", "p"), "not json");

        RemoteException? tooLarge = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("p", "cfg.set", $"user|k|\"{new string('x', 100)}\""));
        Assert.That(tooLarge!.Message, Does.StartWith("PluginConfigTooLargeException: Setting 'k' would make the configuration file").And.Contain("MaxFileBytes (64)"));
        RemoteException? corrupt = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("p", "cfg.get", "plugin|k"));
        Assert.That(corrupt!.Message, Does.StartWith("InvalidDataException: The configuration file '" + _folder.File("plugin", "p") + "'"));
        RemoteException? scope = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("p", "cfg.get", "9|k"));
        Assert.That(scope!.Message, Does.StartWith("ArgumentOutOfRangeException"), "checked in the plugin before sending");
        RemoteException? key = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("p", "cfg.set", $"user|{new string('k', 300)}|1"));
        Assert.That(key!.Message, Does.StartWith("ArgumentException: The configuration key"));
    }

    [Test, CancelAfter(90_000)]
    public async Task AValueTooDeepForTheFile_IsAnInvalidRequest_AndTheScopeStaysReadableAndWritable()
    {
        await using var host = new BusPlugins(o => o.Config.Directory = _folder.Path, new BusPluginSpec("p"));
        string deep = new string('[', 64) + new string(']', 64); // JSON's usual limit: the plugin and the host parse it, the file could not hold it

        RemoteException? refused = Assert.ThrowsAsync<RemoteException>(() => host.AskAsync("p", "cfg.set", "user|deep|" + deep));

        Assert.That(refused!.Message, Does.StartWith("ArgumentException: The value nests arrays and objects more than 63 deep"));
        Assert.That(await host.AskAsync("p", "cfg.set", "user|theme|\"dark\""), Is.EqualTo("ok"));
        Assert.That(await host.AskAsync("p", "cfg.get", "user|"), Is.EqualTo("{\"theme\":\"dark\"}"));
        Assert.That(await host.AskAsync("p", "cfg.remove", "user|theme"), Is.EqualTo("True"));
    }

    [Test, CancelAfter(120_000)]
    public async Task HundredSetsFromTheHost_AndHundredFromAPlugin_AtOnce_LoseNoUpdate()
    {
        await using var host = new BusPlugins(o => o.Config.Directory = _folder.Path, new BusPluginSpec("p"));
        await host.StartAsync("p");

        Task<string> fromPlugin = host.AskAsync("p", "cfg.setmany", "user|plugin|100");
        Task fromHost = Task.WhenAll(Enumerable.Range(0, 100).Select(i => Task.Run(() =>
            host.Config.SetAsync("p", PluginConfigScope.User, "host" + i.ToString(CultureInfo.InvariantCulture), ConfigStoreTests.Json(i.ToString(CultureInfo.InvariantCulture))))));
        Assert.That(await fromPlugin, Is.EqualTo("ok"));
        await fromHost;

        using JsonDocument onDisk = JsonDocument.Parse(await File.ReadAllBytesAsync(_folder.File("user", "p")));
        string[] expected = [.. Enumerable.Range(0, 100).SelectMany(i => new[] { "host" + i, "plugin" + i }).Order(StringComparer.Ordinal)];
        Assert.That(onDisk.RootElement.EnumerateObject().Select(p => p.Name).Order(StringComparer.Ordinal), Is.EqualTo(expected));
    }
}
