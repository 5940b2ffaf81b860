using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc.Tests.Host;
using PluginIpc.Tests.Processes;

namespace PluginIpc.Tests.NodeSdk;

/// <summary>
/// The launch contract of a Node.js plugin written with the pluginipc npm package: the cookie check, exiting when the host goes
/// away (its input ends, or the host is killed), and its pub/sub through a host's bus.
/// </summary>
[Category("Process")]
[Category("Node")]
public sealed class NodeLaunchTests : PluginTestBase
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(15);
    private const string NotStartedByHost = "NodeEcho is a plugin to be started by its host application; it cannot be run on its own.";

    [Test, CancelAfter(30_000)]
    public async Task StartedByHand_PrintsOneStderrLineAndExitsOne(CancellationToken cancellationToken)
    {
        string node = await NodeSdk.RequireAsync();
        ProcessStartInfo startInfo = NodeStartInfo(node);
        startInfo.Environment.Remove("PLUGINIPC_COOKIE");
        Process process = StartRaw(startInfo);
        process.StandardInput.Close();

        string stdout = await process.StandardOutput.ReadToEndAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);
        string stderr = await process.StandardError.ReadToEndAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);
        await process.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);

        Assert.That(process.ExitCode, Is.EqualTo(1));
        Assert.That(stderr, Is.EqualTo(NotStartedByHost + "\n"));
        Assert.That(stdout, Is.Empty);
    }

    [TestCase("text", PluginTransport.InheritedPipes)]
    [TestCase("msgpack", PluginTransport.Stdio)]
    [CancelAfter(30_000)]
    public async Task WrongCookie_StartFailsWithThePluginsLineAndExitCodeOne(string framer, PluginTransport transport, CancellationToken cancellationToken)
    {
        string node = await NodeSdk.RequireAsync();
        PluginOptions options = NodeSdk.Options(node, "echo.js", "NodeEcho", framer, transport);
        options.Cookie = "another-application";
        await using Plugin plugin = CreatePlugin(options);

        PluginStartException error = await Failure.ThrowsAsync<PluginStartException>(() => plugin.StartAsync(cancellationToken));

        Assert.That(error.Message, Does.Contain(NotStartedByHost));
        Assert.That(Find<PluginExitedException>(error)?.ExitCode, Is.EqualTo(1), error.ToString());
    }

    [Test, CancelAfter(30_000)]
    public async Task InputClosed_OnStdio_PluginExitsZeroAtOnce(CancellationToken cancellationToken)
    {
        string node = await NodeSdk.RequireAsync();
        ProcessStartInfo startInfo = NodeStartInfo(node);
        startInfo.Environment["PLUGINIPC_FRAMER"] = "text";
        Process process = StartRaw(startInfo);

        // A GetMetadata request, answered (after the start hook's log entry); then the host's end closes.
        await process.StandardInput.BaseStream.WriteAsync("1\u00002\u000011\u0000GetMetadata0\u0000"u8.ToArray(), cancellationToken);
        await process.StandardInput.BaseStream.FlushAsync(cancellationToken);
        var output = new MemoryStream();
        byte[] piece = new byte[4096];
        while (!Encoding.UTF8.GetString(output.ToArray()).Contains("1\u00003\u000011\u0000GetMetadata", StringComparison.Ordinal))
        {
            int read = await process.StandardOutput.BaseStream.ReadAsync(piece, cancellationToken).AsTask().WaitAsync(s_timeout, cancellationToken);
            Assert.That(read, Is.Positive, "the plugin ended its output before it answered GetMetadata");
            output.Write(piece, 0, read);
        }

        var watch = Stopwatch.StartNew();
        process.StandardInput.Close();
        await process.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);

        Assert.That(process.ExitCode, Is.Zero);
        Assert.That(watch.Elapsed, Is.LessThan(TimeSpan.FromSeconds(5)));
    }

    [TestCase("text", PluginTransport.InheritedPipes)]
    [TestCase("msgpack", PluginTransport.Stdio)]
    [CancelAfter(60_000)]
    public async Task HostKilled_PluginExitsWithinFiveSeconds(string framer, PluginTransport transport, CancellationToken cancellationToken)
    {
        string node = await NodeSdk.RequireAsync();
        (Process host, int pluginPid) = await StartPluginHostAsync([framer, transport.ToString(), node, Path.Combine(NodeSdk.PluginsFolder, "echo.js")], TimeSpan.FromSeconds(30), cancellationToken);
        Assert.That(ProcFs.IsAlive(pluginPid), Is.True);
        host.Kill(entireProcessTree: false); // SIGKILL: no exit hook runs in the host
        await host.WaitForExitAsync(cancellationToken).WaitAsync(s_timeout, cancellationToken);

        Assert.That(await WaitUntilGoneAsync(pluginPid, TimeSpan.FromSeconds(5), cancellationToken), Is.True, "the Node.js plugin outlived its host by 5 s");
    }

    [TestCase("text")]
    [TestCase("msgpack")]
    [CancelAfter(60_000)]
    public async Task Bus_PluginSubscribesAndPublishes(string framer, CancellationToken cancellationToken)
    {
        string node = await NodeSdk.RequireAsync();
        var services = new ServiceCollection();
        services.AddPluginIpc(options => options.PluginFolders.Clear());
        services.AddPlugin("node", options =>
        {
            PluginOptions defaults = NodeSdk.Options(node, "echo.js", "node", framer, PluginTransport.InheritedPipes);
            options.ExecutablePath = defaults.ExecutablePath;
            options.Arguments.Add(defaults.Arguments[0]);
            options.Framer = framer;
            options.StartTimeout = defaults.StartTimeout;
        });
        await using ServiceProvider provider = services.BuildServiceProvider();
        IPluginBus bus = provider.GetRequiredService<IPluginBus>();
        Plugin plugin = await provider.GetRequiredService<IPluginManager>().GetAsync("node", cancellationToken);
        await using IAsyncEnumerator<string> messages = plugin.ReadBridgeAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        Assert.That(await NextAsync(messages, cancellationToken), Is.EqualTo("hello, I am connected"));
        var received = new TaskCompletionSource<BusMessage>(TaskCreationOptions.RunContinuationsAsynchronously);
        await using IAsyncDisposable subscription = await bus.SubscribeAsync("node.news", (message, _) =>
        {
            received.TrySetResult(message);
            return default;
        }, cancellationToken);

        Assert.That(await plugin.CallAsync("subscribe", "orders.created", cancellationToken), Is.EqualTo("subscribed"));
        await bus.PublishAsync("orders.created", "order 1"u8.ToArray(), cancellationToken);
        Assert.That(await NextAsync(messages, cancellationToken), Is.EqualTo("""{"topic":"orders.created","payload":"order 1","publisher":null}"""));
        await plugin.CallAsync("publish", "node.news published by node", cancellationToken);
        BusMessage news = await received.Task.WaitAsync(s_timeout, cancellationToken);

        Assert.That((news.Topic, Encoding.UTF8.GetString(news.Payload.Span), news.Publisher), Is.EqualTo(("node.news", "published by node", "node")));
    }

    private static async Task<string> NextAsync(IAsyncEnumerator<string> messages, CancellationToken cancellationToken)
    {
        Assert.That(await messages.MoveNextAsync().AsTask().WaitAsync(s_timeout, cancellationToken), Is.True);
        return messages.Current;
    }

    private static ProcessStartInfo NodeStartInfo(string node)
    {
        var startInfo = new ProcessStartInfo(node)
        {
            UseShellExecute = false,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            WorkingDirectory = NodeSdk.PluginsFolder,
        };
        startInfo.ArgumentList.Add(Path.Combine(NodeSdk.PluginsFolder, "echo.js"));
        startInfo.Environment["PLUGINIPC_COOKIE"] = "pluginipc-v1";
        foreach (string name in new[] { "PLUGINIPC_IN_FD", "PLUGINIPC_OUT_FD", "PLUGINIPC_FRAMER", "PLUGINIPC_PROTOCOL" })
        {
            startInfo.Environment.Remove(name);
        }

        return startInfo;
    }
}
