using PluginIpc.Tests.Processes;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>Runs samples/WebGateway as its README says, with --self-test, and checks what it printed and that it ended well.</summary>
[Category("Samples")]
public sealed class WebGatewaySampleTests
{
    private static readonly TimeSpan RunTimeout = TimeSpan.FromSeconds(120);

    [Test]
    public async Task WebGateway_SelfTest_CallsItselfOverHttpAndWebSocket_AllWorked()
    {
        string project = GatewayApp.Setting("WebGateway");
        CommandResult run = await Command.RunAsync(
            GatewayApp.DotnetPath,
            ["run", "--no-build", "-c", GatewayApp.Setting("Configuration"), "--project", project, "--", "--self-test"],
            Path.GetDirectoryName(project)!,
            RunTimeout,
            CancellationToken.None);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        Assert.That(run.Output, Does.Match(@"Token: +[A-Za-z0-9_-]{43}\n"), run.ToString());
        Assert.That(run.Output, Does.Match(@"curl -s -H ""Authorization: Bearer [A-Za-z0-9_-]{43}"" -H ""Content-Type: application/json"" -d '\{""jsonrpc"":""2.0"",""id"":1,""method"":""echo/echo"",""params"":\[""hi""\]\}' http://127\.0\.0\.1:\d+/plugins/rpc"), run.ToString());
        Assert.That(run.Output, Does.Contain("ok: 401 without the token"), run.ToString());
        Assert.That(run.Output, Does.Contain("""ok: echo/echo "hi" -> {"jsonrpc":"2.0","id":1,"result":"hi"}"""), run.ToString());
        Assert.That(run.Output, Does.Contain("ok: a bus message pushed"), run.ToString());
        Assert.That(run.Output, Does.Match(@"curl -s -H ""Authorization: Bearer [A-Za-z0-9_-]{43}"" -H ""Content-Type: application/json"" -d '\{""requestId"":""r1"",""action"":""create"",""pluginId"":""pages"",.*\}' http://127\.0\.0\.1:\d+/plugins/webchannel"), run.ToString());
        Assert.That(run.Output, Does.Contain("ok: a stale version -> E1002"), run.ToString());
        Assert.That(run.Output, Does.Contain("ok: set_config then get_config theme (user scope) -> dark"), run.ToString());
        Assert.That(run.Output.TrimEnd(), Does.EndWith("All worked."), run.ToString());
    }
}
