using PluginIpc.Tests.Processes;
using PluginIpc.Tests.SampleApps;

namespace PluginIpc.Tests.NodeSdk;

/// <summary>Runs samples/NodeBackend as its header says: the .NET host starts process.js, talks over the bridge, fetches its page, calls IGreeter.</summary>
[Category("Process")]
[Category("Node")]
public sealed class NodeBackendSampleTests
{
    [Test, CancelAfter(120_000)]
    public async Task NodeBackend_HostStartsProcessJs_BridgePageAndGreeterWork(CancellationToken cancellationToken)
    {
        string node = await NodeSdk.RequireAsync();

        CommandResult run = await SampleRun.RunAsync(SampleRun.Project("NodeBackend"), [node], TimeSpan.FromSeconds(90));

        Assert.That(run.ExitCode, Is.Zero, run.ToString());
        string[] lines = run.Output.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        Assert.That(lines, Does.Contain("bridge <- hello, I am connected"), run.ToString());
        Assert.That(lines, Does.Contain("bridge -> hello"), run.ToString());
        Assert.That(lines, Does.Contain("bridge <- hello, too"), run.ToString());
        Assert.That(lines, Does.Contain("page: <h1>NodeBackend</h1>"), run.ToString());
        Assert.That(lines, Does.Contain("IGreeter.Hello: Hello, .NET! (NodeBackend, greeting #1)"), run.ToString());
        Assert.That(lines.Where(l => l.StartsWith("log: [Information] listening on http://127.0.0.1:", StringComparison.Ordinal)), Has.One.Items, run.ToString());
        Assert.That(lines, Does.Contain("log: [Information] disconnect").Or.Contain("stopped with exit code 0"), run.ToString());
        Assert.That(lines[^1], Is.EqualTo("stopped with exit code 0"), run.ToString());
    }
}
