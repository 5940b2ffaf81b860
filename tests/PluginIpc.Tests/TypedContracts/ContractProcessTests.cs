using PluginIpc.TestContracts;
using PluginIpc.Tests.Host;
using PluginIpc.Tests.Processes;
using Samples;
using TestPoint = Samples.Point;

namespace PluginIpc.Tests.TypedContracts;

/// <summary>Contracts across processes: a host's proxies against TestPlugin's targets (mode greeter), each framer with each serializer.</summary>
[Category("Process")]
[TestFixture("text", false)]
[TestFixture("msgpack", false)]
[TestFixture("text", true)]
[TestFixture("msgpack", true)]
public sealed class ContractProcessTests(string framer, bool json) : PluginTestBase
{
    [Test, CancelAfter(60_000)]
    public async Task EveryGreeterMember_AcrossProcesses(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartGreeterAsync(cancellationToken);
        IGreeter greeter = plugin.GetProxy<IGreeter>();

        string hello = await greeter.HelloAsync("host", cancellationToken);
        TestPoint moved = await greeter.MoveAsync(new TestPoint(1, 2), 3, 4, cancellationToken);
        var counted = new List<int>();
        await foreach (int i in greeter.CountAsync(1, 5000, cancellationToken))
        {
            counted.Add(i);
        }

        var reports = new RecordingProgress<int>();
        int sum = await greeter.SumWithProgressAsync([5, 6, 7], reports, cancellationToken);
        await greeter.ResetAsync(cancellationToken);

        Assert.That(hello, Is.EqualTo("Hello, host! (plugin, greeting #1)"));
        Assert.That(moved, Is.EqualTo(new TestPoint(4, 6)));
        Assert.That(counted, Is.EqualTo(Enumerable.Range(1, 5000)));
        Assert.That((sum, reports.Values), Is.EqualTo((18, (IReadOnlyList<int>)[5, 11, 18])));
        Assert.That(plugin.Metadata, Does.ContainKey("contract.IGreeter").And.ContainKey("contract.probe"), "the handshake announces the plugin's contracts");
    }

    [Test, CancelAfter(60_000)]
    public async Task OtherVersionOfTheContract_FailsTheMethodsThatDiffer_NamingThem(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartGreeterAsync(cancellationToken, "v2");
        IGreeter greeter = plugin.GetProxy<IGreeter>();

        string hello = await greeter.HelloAsync("host", cancellationToken);
        var moved = await Failure.ThrowsAsync<ProtocolException>(() => greeter.MoveAsync(new TestPoint(1, 2), 3, 4, cancellationToken));
        var reset = await Failure.ThrowsAsync<ProtocolException>(async () => await greeter.ResetAsync(cancellationToken));

        Assert.That(hello, Is.EqualTo("Hello, host! (v2, greeting #1)"), "methods of the same shape still work");
        Assert.That(moved!.Message, Does.Contain("Plugin 'greeter' implements another version of contract 'IGreeter'").And.Contain("method 'IGreeter.Move' differs"));
        Assert.That(reset!.Message, Does.Contain("it has no method 'IGreeter.Reset'"));
    }

    [Test, CancelAfter(60_000)]
    public async Task PluginCallsTheHost_ThroughMainsProxy(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartGreeterAsync(cancellationToken, configure: p => p.AddTarget<IGreeter>(new Greeter("host")));

        string answer = await plugin.GetProxy<IProbe>().AskBackAsync("plugin", cancellationToken);

        Assert.That(answer, Is.EqualTo("Hello, plugin! (host, greeting #1)"));
    }

    [Test, CancelAfter(60_000)]
    public async Task Stream_PluginKilledMidStream_FailsTheEnumeration(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartGreeterAsync(cancellationToken);
        IProbe probe = plugin.GetProxy<IProbe>();
        await using IAsyncEnumerator<int> stream = probe.ForeverAsync(cancellationToken).GetAsyncEnumerator(cancellationToken);
        Assert.That(await stream.MoveNextAsync(), Is.True);

        System.Diagnostics.Process.GetProcessById(plugin.ProcessId!.Value).Kill();

        Assert.That(
            async () =>
            {
                while (await stream.MoveNextAsync())
                {
                }
            },
            Throws.InstanceOf<ChannelClosedException>());
    }

    [Test, CancelAfter(60_000)]
    public async Task Stream_EarlyStopAndCancel_EndTheProducerInThePlugin(CancellationToken cancellationToken)
    {
        await using Plugin plugin = await StartGreeterAsync(cancellationToken);
        IProbe probe = plugin.GetProxy<IProbe>();

        await foreach (int item in probe.ForeverAsync(cancellationToken))
        {
            if (item == 500)
            {
                break;
            }
        }

        ProbeCounters counters;
        do
        {
            counters = await probe.CountersAsync(cancellationToken);
        }
        while (counters.Ended < 1);

        Assert.That(counters.OpenStreams, Is.Zero);
    }

    private async Task<Plugin> StartGreeterAsync(CancellationToken cancellationToken, string? variant = null, Action<Plugin>? configure = null)
    {
        var options = new PluginOptions
        {
            Name = "greeter",
            ExecutablePath = TestPlugin.DotnetPath,
            Framer = framer,
            StartTimeout = TimeSpan.FromSeconds(20),
            Serializer = json ? new JsonPluginSerializer() : null,
        };
        options.Arguments.Add("exec");
        options.Arguments.Add(TestPlugin.DllPath);
        options.Arguments.Add("greeter");
        if (json)
        {
            options.Arguments.Add("json");
        }

        if (variant is not null)
        {
            options.Arguments.Add(variant);
        }

        Plugin plugin = CreatePlugin(options);
        configure?.Invoke(plugin);
        await plugin.StartAsync(cancellationToken);
        return plugin;
    }
}
