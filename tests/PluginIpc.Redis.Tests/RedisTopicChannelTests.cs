namespace PluginIpc.Redis.Tests;

/// <summary>
/// One Redis channel per topic: two hosts in this process (each its own bus and relay) on a real redis-server. A host receives
/// from Redis only what its subscribers need, each frame once however its topics and patterns overlap.
/// </summary>
[TestFixture]
public sealed class RedisTopicChannelTests : RedisServerTests
{
    [Test]
    public async Task ABusWhoseChannelHasAStar_ReceivesNothingOfAnotherBus()
    {
        // The channel prefix is literal: in a pattern channel its '*' must not match another bus's prefix.
        await using LocalHost starred = await LocalHost.StartAsync(Redis.Configuration, o => o.Channel = "app*", pluginName: null);
        await using LocalHost sameBus = await LocalHost.StartAsync(Redis.Configuration, o => o.Channel = "app*", pluginName: null);
        await using LocalHost otherBus = await LocalHost.StartAsync(Redis.Configuration, o => o.Channel = "appX", pluginName: null);
        await starred.WaitForRelayLogAsync("Connected");
        await sameBus.WaitForRelayLogAsync("Connected");
        await otherBus.WaitForRelayLogAsync("Connected");
        var seen = new LineLog("The subscriber of pattern x.* on bus app*");
        await using IAsyncDisposable subscription = await starred.Bus.SubscribePatternAsync("x.*", Record(seen));

        await otherBus.Bus.PublishAsync("x.1", "from another bus");
        await otherBus.WaitForSentAsync(1); // Redis took it: what the same bus publishes next comes after it
        await sameBus.Bus.PublishAsync("x.1", "END");
        await seen.WaitForAsync(line => line == "x.1|END");

        Assert.That(seen.Lines, Is.EqualTo(new[] { "x.1|END" }));
    }

    [Test]
    public async Task AHostReceivesOnlyWhatItSubscribed_ATopicInsideAPatternOnce_AndNothingMoreOnceUnsubscribed()
    {
        await using LocalHost receiver = await LocalHost.StartAsync(Redis.Configuration, configure: null, pluginName: null);
        await using LocalHost sender = await LocalHost.StartAsync(Redis.Configuration, configure: null, pluginName: null);
        await receiver.WaitForRelayLogAsync("Connected");
        await sender.WaitForRelayLogAsync("Connected");
        var exact = new LineLog("The subscriber of a.b.c");
        var wide = new LineLog("The subscriber of pattern a.*");
        var narrow = new LineLog("The subscriber of pattern a.b.*");

        // Made while the relay is connected: each returns once Redis sends the topic to this host.
        await using IAsyncDisposable exactSubscription = await receiver.Bus.SubscribeAsync("a.b.c", Record(exact));
        IAsyncDisposable wideSubscription = await receiver.Bus.SubscribePatternAsync("a.*", Record(wide));
        await using IAsyncDisposable narrowSubscription = await receiver.Bus.SubscribePatternAsync("a.b.*", Record(narrow));

        await sender.Bus.PublishAsync("other", "nobody wants it");
        await sender.Bus.PublishAsync("a.b.c", "m1");
        await sender.Bus.PublishAsync("a.x", "m2");
        await sender.Bus.PublishAsync("a.b.c", "END");
        await exact.WaitForAsync(line => line == "a.b.c|END");
        await wide.WaitForAsync(line => line == "a.b.c|END");
        await narrow.WaitForAsync(line => line == "a.b.c|END");
        Assert.Multiple(() =>
        {
            Assert.That(exact.Lines, Is.EqualTo(new[] { "a.b.c|m1", "a.b.c|END" }));
            Assert.That(wide.Lines, Is.EqualTo(new[] { "a.b.c|m1", "a.x|m2", "a.b.c|END" }));
            Assert.That(narrow.Lines, Is.EqualTo(new[] { "a.b.c|m1", "a.b.c|END" }));
            Assert.That(receiver.Received, Is.EqualTo(3), "each wanted frame comes from Redis once; 'other' not at all");
            Assert.That(sender.Received, Is.Zero, "a host that subscribed to nothing gets nothing back, its own frames included");
        });

        // Relay changes are made in order: once a later subscription is made, the unsubscribe before it is done too.
        await wideSubscription.DisposeAsync();
        await using IAsyncDisposable fence = await receiver.Bus.SubscribeAsync("fence", (_, _) => ValueTask.CompletedTask);
        await sender.Bus.PublishAsync("a.x", "m3");
        await sender.Bus.PublishAsync("a.b.c", "END2");
        await exact.WaitForAsync(line => line == "a.b.c|END2");
        await narrow.WaitForAsync(line => line == "a.b.c|END2");
        Assert.Multiple(() =>
        {
            Assert.That(wide.Lines, Has.None.Contains("m3"));
            Assert.That(receiver.Received, Is.EqualTo(4), "a.x is no longer sent to this host");
        });
    }

    [Test]
    public async Task PatternsThatMayOverlap_EachMessageStillArrivesOncePerSubscriber()
    {
        await using LocalHost receiver = await LocalHost.StartAsync(Redis.Configuration, configure: null, pluginName: null);
        await using LocalHost sender = await LocalHost.StartAsync(Redis.Configuration, configure: null, pluginName: null);
        await receiver.WaitForRelayLogAsync("Connected");
        await sender.WaitForRelayLogAsync("Connected");
        var starts = new LineLog("The subscriber of pattern p.*");
        var ends = new LineLog("The subscriber of pattern *.q");
        await using IAsyncDisposable startsSubscription = await receiver.Bus.SubscribePatternAsync("p.*", Record(starts));
        await using IAsyncDisposable endsSubscription = await receiver.Bus.SubscribePatternAsync("*.q", Record(ends));

        await sender.Bus.PublishAsync("p.q", "both");
        await sender.Bus.PublishAsync("p.x", "starts");
        await sender.Bus.PublishAsync("x.q", "ends");
        await sender.Bus.PublishAsync("p.q", "END");
        await starts.WaitForAsync(line => line == "p.q|END");
        await ends.WaitForAsync(line => line == "p.q|END");
        Assert.Multiple(() =>
        {
            Assert.That(starts.Lines, Is.EqualTo(new[] { "p.q|both", "p.x|starts", "p.q|END" }));
            Assert.That(ends.Lines, Is.EqualTo(new[] { "p.q|both", "x.q|ends", "p.q|END" }));
            Assert.That(receiver.Received, Is.EqualTo(4), "a frame that both patterns match comes from Redis once");
        });
    }

    [Test]
    public async Task AFrameNamingAnotherTopicThanItsChannel_IsDropped_OnATopicChannelAndOnAPatternOne()
    {
        // Someone allowed to publish on one Redis channel must not reach another topic's subscribers by naming it in the frame.
        await using LocalHost receiver = await LocalHost.StartAsync(Redis.Configuration, configure: null, pluginName: null);
        await using LocalHost sender = await LocalHost.StartAsync(Redis.Configuration, configure: null, pluginName: null);
        await receiver.WaitForRelayLogAsync("Connected");
        await sender.WaitForRelayLogAsync("Connected");
        var orders = new LineLog("The subscriber of orders");
        var secrets = new LineLog("The subscriber of pattern x.*");
        await using IAsyncDisposable ordersSubscription = await receiver.Bus.SubscribeAsync("orders", Record(orders));
        await using IAsyncDisposable secretsSubscription = await receiver.Bus.SubscribePatternAsync("x.*", Record(secrets));

        await using (StackExchange.Redis.ConnectionMultiplexer raw = await StackExchange.Redis.ConnectionMultiplexer.ConnectAsync(Redis.Configuration))
        {
            StackExchange.Redis.ISubscriber publisher = raw.GetSubscriber();
            await publisher.PublishAsync(StackExchange.Redis.RedisChannel.Literal("pluginipc.bus:orders"), ForgedFrame("x.secret", 1, "via orders"));
            await publisher.PublishAsync(StackExchange.Redis.RedisChannel.Literal("pluginipc.bus:x.1"), ForgedFrame("x.2", 1, "via x.1"));
            await publisher.PublishAsync(StackExchange.Redis.RedisChannel.Literal("pluginipc.bus:x.3"), ForgedFrame("x.3", 1, "honest"));
        }

        await sender.Bus.PublishAsync("orders", "END");
        await orders.WaitForAsync(line => line == "orders|END");
        await secrets.WaitForAsync(line => line == "x.3|honest");
        Assert.Multiple(() =>
        {
            Assert.That(orders.Lines, Is.EqualTo(new[] { "orders|END" }));
            Assert.That(secrets.Lines, Is.EqualTo(new[] { "x.3|honest" }));
        });
    }

    /// <summary>A relay frame of protocol section 10 from a made-up host: <c>[1, origin, topic, sequence, publisher, payload]</c>.</summary>
    private static byte[] ForgedFrame(string topic, long sequence, string text)
    {
        var buffer = new System.Buffers.ArrayBufferWriter<byte>();
        var writer = new MessagePack.MessagePackWriter(buffer);
        writer.WriteArrayHeader(6);
        writer.Write(1);
        writer.Write(new string('f', 32));
        writer.Write(topic);
        writer.Write(sequence);
        writer.WriteNil();
        writer.Write(System.Text.Encoding.UTF8.GetBytes(text));
        writer.Flush();
        return buffer.WrittenSpan.ToArray();
    }

    private static BusHandler Record(LineLog log) => (message, _) =>
    {
        log.Add($"{message.Topic}|{message.Text}");
        return ValueTask.CompletedTask;
    };
}
