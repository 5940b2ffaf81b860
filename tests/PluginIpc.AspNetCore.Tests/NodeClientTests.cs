using PluginIpc.Tests.Processes;

namespace PluginIpc.AspNetCore.Tests;

/// <summary>
/// A Node.js client (node/client.mjs: the json-rpc-2.0 and ws packages from npm) against real Kestrel and real plugins:
/// a call, a batch, a pushed bus message and an error. Needs node and npm on the PATH: without them the test is ignored,
/// or fails under CI=true.
/// </summary>
[TestFixture]
[Category("Node")]
[Parallelizable(ParallelScope.None)]
public sealed class NodeClientTests
{
    private const string Token = "node-client-test-token-0123456789";
    private const string Hint = "install Node.js 20 and npm to run the Node.js client test.";
    private static readonly TimeSpan NodeTimeout = TimeSpan.FromSeconds(60);

    [Test]
    public async Task A_node_client_calls_batches_gets_a_push_and_an_error_over_the_websocket()
    {
        string node = NodeTools.Require("node", Hint);
        string npm = NodeTools.Require("npm", Hint);
        string folder = GatewayApp.Setting("NodeClient");
        await NodeTools.InstallOnceAsync(npm, folder);

        await using GatewayApp app = await GatewayApp.StartAsync(o =>
        {
            o.BearerToken = Token;
            o.Expose("echo", "echo", "fail", "IGreeter.Move").Expose("probe", "publish");
            o.AllowedTopics.Add("node.*");
        });
        var url = new UriBuilder(app.Address) { Scheme = "ws", Path = "/plugins/ws" }.Uri;
        CommandResult run = await Command.RunAsync(node, ["client.mjs", url.ToString(), Token], folder, NodeTimeout, CancellationToken.None);

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        string[] lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines, Is.EqualTo(new[]
        {
            "connected",
            "call: \"hello from node\"",
            "batch: 101=\"one\" 102={\"X\":4,\"Y\":6} 103=\"NOT_EXPOSED\"",
            "subscribe: true",
            "push: topic=node.news payload=\"published by the probe plugin\" publisher=probe",
            "error: code=-32000 data.code=TEST_FAILURE message=\"fail was asked to fail: from node\"",
            "done",
        }), run.ToString());
    }
}
