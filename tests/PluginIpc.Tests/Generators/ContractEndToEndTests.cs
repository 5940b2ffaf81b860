using PluginIpc.Tests.TypedContracts;
using PluginIpc.Tests.Channel;

namespace PluginIpc.Tests.Generators;

/// <summary>
/// A contract compiled by the real generator, served on one channel with <c>AddTarget</c> and called from the other through
/// <c>GetProxy</c>: every kind of method, with each framer and serializer.
/// </summary>
[TestFixture("text", "msgpack")]
[TestFixture("msgpack", "msgpack")]
[TestFixture("text", "json")]
[TestFixture("msgpack", "json")]
public sealed class ContractEndToEndTests(string framer, string serializer)
{
    private static readonly TimeSpan s_timeout = TimeSpan.FromSeconds(10);

    [Test, CancelAfter(20_000)]
    public async Task EveryMethod_CallsTheOtherSidesImplementation(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        var greeter = new TestGreeter();
        pair.Plugin.AddTarget<ITestGreeter>(greeter);
        pair.Start();
        ITestGreeter proxy = pair.Host.GetProxy<ITestGreeter>();

        Assert.That(await proxy.HelloAsync("plugin", cancellationToken), Is.EqualTo("Hello, plugin!"));
        Assert.That(await proxy.MoveAsync(new GreeterPoint(1, 2), 10, -20, cancellationToken), Is.EqualTo(new GreeterPoint(11, -18)));

        var counted = new List<int>();
        await foreach (int i in proxy.CountAsync(1, 200, cancellationToken))
        {
            counted.Add(i);
        }

        Assert.That(counted, Is.EqualTo(Enumerable.Range(1, 200)), "more items than one window of the stream");

        var reports = new RecordingProgress<int>();
        Assert.That(await proxy.SumWithProgressAsync([1, 2, 3, 4], reports, cancellationToken), Is.EqualTo(10));
        Assert.That(reports.Values, Is.EqualTo(new[] { 1, 3, 6, 10 }), "every report arrives before the answer");
        Assert.That(await proxy.SumWithProgressAsync([5, 6], null, cancellationToken), Is.EqualTo(11), "no progress object: the reports go nowhere");

        await proxy.ResetAsync(cancellationToken);
        Assert.That(greeter.Reset.IsCompletedSuccessfully, Is.True);

        Assert.That(await proxy.EchoAsync("text"), Is.EqualTo("text"));
        Assert.That(await proxy.EchoAsync(null), Is.Null);
        RemoteException error = await Failure.ThrowsAsync<RemoteException>(() => proxy.FailAsync("refused"));
        Assert.That(error.Message, Does.Contain("refused"));
    }

    [Test, CancelAfter(20_000)]
    public async Task Stream_LeftEarlyByTheConsumer_EndsTheProducer(CancellationToken cancellationToken)
    {
        await using ChannelPair pair = CreatePair();
        var greeter = new TestGreeter();
        pair.Plugin.AddTarget<ITestGreeter>(greeter);
        pair.Start();
        ITestGreeter proxy = pair.Host.GetProxy<ITestGreeter>();

        var counted = new List<int>();
        await foreach (int i in proxy.CountAsync(1, int.MaxValue, cancellationToken))
        {
            counted.Add(i);
            if (i == 100)
            {
                break;
            }
        }

        Assert.That(counted, Is.EqualTo(Enumerable.Range(1, 100)));
        await greeter.CountEnded.WaitAsync(s_timeout, cancellationToken); // the producer's iterator was disposed, not left running
        Assert.That(await proxy.HelloAsync("again", cancellationToken).WaitAsync(s_timeout, cancellationToken), Is.EqualTo("Hello, again!"), "the channel still works");
    }

    private ChannelPair CreatePair()
    {
        IPluginSerializer? chosen = serializer == "json" ? new JsonPluginSerializer() : null;
        return ChannelPair.Create(framer, Transports.Memory, o => o.Serializer = chosen, o => o.Serializer = chosen);
    }
}
