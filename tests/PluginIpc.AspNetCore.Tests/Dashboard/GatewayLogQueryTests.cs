using System.Text.Json;

namespace PluginIpc.AspNetCore.Tests.Dashboard;

/// <summary><c>$/logs</c>: the log query over JSON-RPC, for exposed plugins only, and only when the gateway is told to allow it.</summary>
[TestFixture]
[CancelAfter(60_000)]
public sealed class GatewayLogQueryTests
{
    [Test]
    public async Task LogsOfExposedPlugins_AreQueried_NewestFirst()
    {
        await using GatewayApp app = await StartAsync("probe", exposeLogs: true);
        Plugin probe = await app.Manager().GetAsync("probe");
        await probe.CallAsync("log", "Warning|queue <full>");
        await probe.CallAsync("log", "Information|queue fine");
        await app.Logs.WaitForAsync("queue fine");

        JsonElement warnings = await app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"$/logs","params":{"plugin":"probe","level":"warning","contains":"queue"}}""");
        JsonElement all = await app.RpcAsync("""{"jsonrpc":"2.0","id":2,"method":"$/logs","params":{"contains":"queue","max":5}}""");

        JsonElement entry = warnings.GetProperty("result").EnumerateArray().Single();
        Assert.That(entry.GetProperty("message").GetString(), Is.EqualTo("queue <full>"));
        Assert.That(entry.GetProperty("level").GetString(), Is.EqualTo("Warning"));
        Assert.That(entry.GetProperty("plugin").GetString(), Is.EqualTo("probe"));
        Assert.That(all.GetProperty("result").EnumerateArray().Select(e => e.GetProperty("message").GetString()), Is.EqualTo(new[] { "queue fine", "queue <full>" }));
    }

    [Test]
    public async Task TheResult_StaysWithinHalfOfMaxMessageBytes()
    {
        await using GatewayApp app = await StartAsync("probe", exposeLogs: true, maxMessageBytes: 4096);
        Plugin probe = await app.Manager().GetAsync("probe");
        for (int i = 0; i < 40; i++)
        {
            await probe.CallAsync("log", $"Warning|entry {i} " + new string('x', 400));
        }

        await app.Logs.WaitForAsync("entry 39");
        using HttpResponseMessage response = await app.PostAsync("""{"jsonrpc":"2.0","id":1,"method":"$/logs","params":{"plugin":"probe","contains":"entry","max":1000}}""");
        byte[] body = await response.Content.ReadAsByteArrayAsync();
        using JsonDocument answer = JsonDocument.Parse(body);

        // Half of the limit, and the one entry that crosses it: newest first, the older ones left out (before: about 1 MiB).
        int entries = answer.RootElement.GetProperty("result").GetArrayLength();
        Assert.That(body.Length, Is.LessThanOrEqualTo(4096), $"{entries} entries in {body.Length} bytes");
        Assert.That(entries, Is.InRange(1, 39));
    }

    [Test]
    public async Task APluginThatIsNotExposed_HasNoLogsForClients()
    {
        await using GatewayApp app = await StartAsync("echo", exposeLogs: true);
        Plugin probe = await app.Manager().GetAsync("probe");
        await probe.CallAsync("log", "Warning|secret of probe");
        await app.Logs.WaitForAsync("secret of probe");

        JsonElement named = await app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"$/logs","params":{"plugin":"probe"}}""");
        JsonElement all = await app.RpcAsync("""{"jsonrpc":"2.0","id":2,"method":"$/logs","params":{"contains":"secret"}}""");

        Assert.That(named.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        Assert.That(named.GetProperty("error").GetProperty("message").GetString(), Does.Contain("no plugin 'probe' is exposed"));
        Assert.That(all.GetProperty("result").GetArrayLength(), Is.Zero);
    }

    [Test]
    public async Task WithoutExposeLogs_TheMethodDoesNotExist()
    {
        await using GatewayApp app = await StartAsync("probe", exposeLogs: false);

        JsonElement answer = await app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"$/logs","params":{}}""");

        Assert.That(answer.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32601));
    }

    [Test]
    public async Task AnInvalidQuery_SaysWhichField()
    {
        await using GatewayApp app = await StartAsync("probe", exposeLogs: true);

        JsonElement answer = await app.RpcAsync("""{"jsonrpc":"2.0","id":1,"method":"$/logs","params":{"max":100000}}""");

        Assert.That(answer.GetProperty("error").GetProperty("code").GetInt32(), Is.EqualTo(-32602));
        Assert.That(answer.GetProperty("error").GetProperty("message").GetString(), Does.Contain("'max' must be a whole number from 1 to 1000"));
    }

    private static Task<GatewayApp> StartAsync(string exposed, bool exposeLogs, int maxMessageBytes = 1024 * 1024) =>
        GatewayApp.StartAsync(o =>
        {
            o.AllowUnauthenticatedLoopback = true;
            o.Expose(exposed);
            o.ExposeLogs = exposeLogs;
            o.MaxMessageBytes = maxMessageBytes;
        });
}
