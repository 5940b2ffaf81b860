using System.Diagnostics.Metrics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Diagnostics.Metrics.Testing;

namespace PluginIpc.Tests.Bus;

/// <summary>The host's bus between in-process components: topics, patterns, order, bounded queues, requests.</summary>
public sealed class HostBusTests
{
    private static readonly TimeSpan s_long = TimeSpan.FromMinutes(5);

    [Test, CancelAfter(20_000)]
    public async Task Publish_ExactSubscriberOfTheTopicReceivesIt_OtherTopicsDoNot()
    {
        await using var host = new BusTestHost();
        var news = new Received<string>();
        var other = new Received<string>();
        await host.Bus.SubscribeAsync("news", news.Handler(m => $"{m.Topic}:{m.Text}:{m.Sequence}:{m.Publisher ?? "host"}:{m.Origin}"));
        await host.Bus.SubscribeAsync("news.sports", other.Handler(m => m.Text));

        await host.Bus.PublishAsync("news", "hello");
        await host.Bus.PublishAsync("news.sports", "goal");

        Assert.That(await news.NextAsync(), Is.EqualTo("news:hello:1:host:"));
        Assert.That(await other.NextAsync(), Is.EqualTo("goal"));
        Assert.That(news.TryTake(out _), Is.False);
    }

    [Test, CancelAfter(20_000)]
    public async Task SubscribePattern_StarMatchesAnyRun_AndATopicWithAStarIsNeverAPattern()
    {
        await using var host = new BusTestHost();
        var orders = new Received<string>();
        await host.Bus.SubscribePatternAsync("orders.*.created", orders.Handler(m => m.Topic));

        await host.Bus.PublishAsync("orders.eu.created", "1");
        await host.Bus.PublishAsync("orders.eu.deleted", "2");
        await host.Bus.PublishAsync("orders.us.west.created", "3");

        Assert.That(await orders.NextAsync(2), Is.EqualTo(new[] { "orders.eu.created", "orders.us.west.created" }));
        ArgumentException? subscribe = Assert.ThrowsAsync<ArgumentException>(async () => await host.Bus.SubscribeAsync("orders.*", (_, _) => default));
        Assert.That(subscribe!.Message, Does.Contain("SubscribePatternAsync"));
        Assert.ThrowsAsync<ArgumentException>(async () => await host.Bus.PublishAsync("orders.*", "x"));
        Assert.ThrowsAsync<ArgumentException>(async () => await host.Bus.PublishAsync("", "x"));
        Assert.ThrowsAsync<ArgumentException>(async () => await host.Bus.PublishAsync("a\nb", "x"));
    }

    [Test, CancelAfter(20_000)]
    public async Task DisposeTheSubscription_NoMoreMessages()
    {
        await using var host = new BusTestHost();
        var first = new Received<string>();
        var second = new Received<string>();
        IAsyncDisposable subscription = await host.Bus.SubscribeAsync("t", first.Handler(m => m.Text));
        await host.Bus.SubscribeAsync("t", second.Handler(m => m.Text));
        await host.Bus.PublishAsync("t", "1");
        Assert.That(await first.NextAsync(), Is.EqualTo("1"));

        await subscription.DisposeAsync();
        await host.Bus.PublishAsync("t", "2");

        Assert.That(await second.NextAsync(2), Is.EqualTo(new[] { "1", "2" }));
        Assert.That(first.TryTake(out _), Is.False, "the second message came after the first subscriber's; it would have been queued by then");
    }

    [Test, CancelAfter(20_000)]
    public async Task ColonTopic_GetsTheApplicationIdAsPrefix()
    {
        await using var host = new BusTestHost(o => o.Bus.ApplicationId = "shop");
        var received = new Received<string>();
        await host.Bus.SubscribeAsync("shop:orders", received.Handler(m => m.Topic));

        await host.Bus.PublishAsync(":orders", "x");

        Assert.That(await received.NextAsync(), Is.EqualTo("shop:orders"));
    }

    [Test, CancelAfter(20_000)]
    public async Task TypedAndTextForms_RoundTrip()
    {
        await using var host = new BusTestHost();
        var points = new Received<BusPoint>();
        await host.Bus.SubscribeAsync<BusPoint>("points", (point, _) =>
        {
            points.Add(point);
            return default;
        });
        await host.Bus.SubscribeAsync<BusPoint, BusPoint>("move", (point, _) => ValueTask.FromResult(point with { X = point.X + 1 }));
        await host.Bus.SubscribeAsync("echo", (message, _) =>
        {
            message.Reply(message.Text.ToUpperInvariant());
            return default;
        });

        await host.Bus.PublishAsync("points", new BusPoint(1, 2));

        Assert.That(await points.NextAsync(), Is.EqualTo(new BusPoint(1, 2)));
        Assert.That(await host.Bus.RequestAsync<BusPoint, BusPoint>("move", new BusPoint(1, 2), s_long), Is.EqualTo(new BusPoint(2, 2)));
        Assert.That(await host.Bus.RequestAsync("echo", "hi", s_long), Is.EqualTo("HI"));
        Assert.That(await host.Bus.RequestAllAsync("echo", "all", s_long), Is.EqualTo(new[] { "ALL" }));
    }

    [Test, CancelAfter(20_000)]
    public async Task TypedFormsOfStringAndBytes_AreTheTextAndByteForms_NeverSerialized()
    {
        await using var host = new BusTestHost();
        var received = new Received<string>();
        await host.Bus.SubscribeAsync<string>("t", (text, _) =>
        {
            received.Add(text);
            return default;
        });
        var raw = new Received<string>();
        await host.Bus.SubscribeAsync("t", raw.Handler(m => Convert.ToHexString(m.Payload.Span)));

        await host.Bus.PublishAsync("t", "as text");
        await PublishGenericAsync(host.Bus, "t", "generic string");
        await PublishGenericAsync(host.Bus, "t", new byte[] { 1, 2 });

        Assert.That(await received.NextAsync(2), Is.EqualTo(new[] { "as text", "generic string" }));
        Assert.That((await raw.NextAsync(3))[2], Is.EqualTo("0102"), "a byte[] through the typed form is the bytes themselves");

        static ValueTask PublishGenericAsync<T>(IPluginBus bus, string topic, T value) => bus.PublishAsync(topic, value);
    }

    [Test, CancelAfter(30_000)]
    public async Task ManyMessages_ArriveInOrder_NumberedOneByOne()
    {
        await using var host = new BusTestHost();
        var received = new Received<(long Sequence, long Missed, string Text)>();
        await host.Bus.SubscribeAsync("seq", received.Handler(m => (m.Sequence, m.Missed, m.Text)));

        for (int i = 1; i <= 1000; i++)
        {
            await host.Bus.PublishAsync("seq", i.ToString(System.Globalization.CultureInfo.InvariantCulture));
        }

        List<(long Sequence, long Missed, string Text)> all = await received.NextAsync(1000);
        Assert.That(all.Select(m => m.Sequence), Is.EqualTo(Enumerable.Range(1, 1000).Select(i => (long)i)));
        Assert.That(all.Select(m => m.Text), Is.EqualTo(Enumerable.Range(1, 1000).Select(i => i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.That(all.All(m => m.Missed == 0));
    }

    [TestCase(BusDropPolicy.DropOldest, new long[] { 1, 93, 94, 95, 96, 97, 98, 99, 100 })]
    [TestCase(BusDropPolicy.DropNewest, new long[] { 1, 2, 3, 4, 5, 6, 7, 8, 9, 101 })]
    [CancelAfter(30_000)]
    public async Task SlowSubscriber_LosesMessagesAsAGap_AndSlowsNeitherThePublisherNorOthers(BusDropPolicy policy, long[] expected)
    {
        var meters = new ServiceCollection().AddMetrics().BuildServiceProvider();
        await using var host = new BusTestHost(
            o =>
            {
                o.Bus.QueueCapacity = 8;
                o.Bus.DropPolicy = policy;
            },
            services => services.AddMetrics());
        using var dropped = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), PluginIpcDiagnostics.MeterName, "pluginipc.bus.dropped");
        var release = new TaskCompletionSource();
        var slow = new Received<(long Sequence, long Missed)>();
        var fast = new Received<long>();
        await host.Bus.SubscribeAsync("t", async (message, _) =>
        {
            slow.Add((message.Sequence, message.Missed));
            await release.Task;
        });
        await host.Bus.SubscribeAsync("t", fast.Handler(m => m.Sequence));

        await host.Bus.PublishAsync("t", "1");
        Assert.That((await slow.NextAsync()).Sequence, Is.EqualTo(1), "the slow handler holds the first message");
        Assert.That(await fast.NextAsync(), Is.EqualTo(1));
        for (int i = 2; i <= 100; i++)
        {
            ValueTask publish = host.Bus.PublishAsync("t", "x");
            Assert.That(publish.IsCompletedSuccessfully, "a publish never waits for a subscriber");
            Assert.That(await fast.NextAsync(), Is.EqualTo(i), "the other subscriber gets each message while the slow one holds its first");
        }

        release.SetResult();
        if (policy == BusDropPolicy.DropNewest)
        {
            await host.Bus.PublishAsync("t", "after");
        }

        List<(long Sequence, long Missed)> got = [(1, 0), .. await slow.NextAsync(expected.Length - 1)];
        Assert.That(got.Select(m => m.Sequence), Is.EqualTo(expected));
        Assert.That(got.Sum(m => m.Missed) + got.Count, Is.EqualTo(expected[^1]), "every lost message shows as a gap");
        Assert.That(dropped.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(expected[^1] - expected.Length));
        await meters.DisposeAsync();
    }

    [Test, CancelAfter(30_000)]
    public async Task SlowSubscriber_PastItsQueuesBytes_LosesTheNewest_AndOneLargeMessageStillGoesIntoAnEmptyQueue()
    {
        // Counted in messages alone, 1,024 messages of up to 64 MiB each could wait for one slow subscriber.
        await using var host = new BusTestHost(o => o.Bus.QueueCapacityBytes = 100, services => services.AddMetrics());
        using var dropped = new MetricCollector<long>(host.Services.GetRequiredService<IMeterFactory>(), PluginIpcDiagnostics.MeterName, "pluginipc.bus.dropped");
        var release = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var slow = new Received<(long Sequence, long Missed, int Bytes)>();
        await host.Bus.SubscribeAsync("t", async (message, _) =>
        {
            slow.Add((message.Sequence, message.Missed, message.Payload.Length));
            await release.Task;
        });

        await host.Bus.PublishAsync("t", new byte[30]);
        Assert.That((await slow.NextAsync()).Sequence, Is.EqualTo(1), "the slow handler holds the first message, out of the queue");
        for (int i = 2; i <= 11; i++)
        {
            await host.Bus.PublishAsync("t", new byte[30]); // 2, 3 and 4 fit in 100 bytes; 5 to 11 do not
        }

        Assert.That(dropped.GetMeasurementSnapshot().Sum(m => m.Value), Is.EqualTo(7));
        release.SetResult();
        Assert.That(await slow.NextAsync(3), Is.EqualTo(new[] { (2L, 0L, 30), (3L, 0L, 30), (4L, 0L, 30) }));
        await host.Bus.PublishAsync("t", new byte[250]);
        Assert.That(await slow.NextAsync(), Is.EqualTo((12L, 7L, 250)), "larger than the bound, into an empty queue; the seven lost show as a gap");
    }

    [Test, CancelAfter(20_000)]
    public async Task Request_GoesToTheFirstSubscriberThatTakesIt()
    {
        await using var host = new BusTestHost();
        var asked = new Received<string>();
        await host.Bus.SubscribeAsync("who", (message, _) =>
        {
            asked.Add("declines");
            return default; // no reply: passes it on
        });
        await host.Bus.SubscribeAsync("who", (message, _) =>
        {
            asked.Add("takes");
            message.Reply("second");
            return default;
        });
        await host.Bus.SubscribeAsync("who", (message, _) =>
        {
            asked.Add("never asked");
            message.Reply("third");
            return default;
        });

        BusMessage reply = await host.Bus.RequestAsync("who", Encoding.UTF8.GetBytes("?"), s_long);

        Assert.That(reply.Text, Is.EqualTo("second"));
        Assert.That(reply.Publisher, Is.Null);
        Assert.That(await asked.NextAsync(2), Is.EqualTo(new[] { "declines", "takes" }));
        Assert.That(asked.TryTake(out _), Is.False);
    }

    [Test, CancelAfter(20_000)]
    public async Task Request_NobodySubscribes_NoSubscribersAtOnce_NobodyTakesIt_NoSubscribers()
    {
        await using var host = new BusTestHost();

        RemoteException? none = Assert.ThrowsAsync<RemoteException>(() => host.Bus.RequestAsync("nobody", "?", s_long));
        Assert.That(none!.Code, Is.EqualTo(ErrorCodes.NoSubscribers));
        Assert.That(none.Message, Does.Contain("'nobody'"));

        await host.Bus.SubscribeAsync("decliner", (_, _) => default);
        RemoteException? declined = Assert.ThrowsAsync<RemoteException>(() => host.Bus.RequestAsync("decliner", "?", s_long));
        Assert.That(declined!.Code, Is.EqualTo(ErrorCodes.NoSubscribers));
        RemoteException? declinedAll = Assert.ThrowsAsync<RemoteException>(() => host.Bus.RequestAllAsync("decliner", "?", s_long));
        Assert.That(declinedAll!.Code, Is.EqualTo(ErrorCodes.NoSubscribers));
    }

    [Test, CancelAfter(20_000)]
    public async Task Request_ReplyNeverComes_TimeoutException_NeverAnEmptyAnswer()
    {
        await using var host = new BusTestHost();
        await host.Bus.SubscribeAsync("silent", async (_, cancellationToken) => await Task.Delay(Timeout.Infinite, cancellationToken));

        TimeoutException? one = Assert.ThrowsAsync<TimeoutException>(() => host.Bus.RequestAsync("silent", "?", TimeSpan.FromMilliseconds(200)));
        Assert.That(one!.Message, Does.Contain("'silent'"));
        Assert.ThrowsAsync<TimeoutException>(() => host.Bus.RequestAllAsync("silent", "?", TimeSpan.FromMilliseconds(200)));
    }

    [Test, CancelAfter(20_000)]
    public async Task Request_TheSubscriberThatTakesItFails_TheRequesterGetsItsFailure()
    {
        await using var host = new BusTestHost();
        await host.Bus.SubscribeAsync("broken", (_, _) => throw new InvalidOperationException("out of stock"));

        InvalidOperationException? failure = Assert.ThrowsAsync<InvalidOperationException>(() => host.Bus.RequestAsync("broken", "?", s_long));
        Assert.That(failure!.Message, Is.EqualTo("out of stock"));
    }

    [Test, CancelAfter(20_000)]
    public async Task RequestAll_GathersEveryReply_LeavesOutDeclinesAndLateOnes()
    {
        await using var host = new BusTestHost();
        foreach (string name in new[] { "a", "b" })
        {
            await host.Bus.SubscribeAsync("census", (message, _) =>
            {
                message.Reply(name);
                return default;
            });
        }

        await host.Bus.SubscribeAsync("census", (_, _) => default);
        await host.Bus.SubscribeAsync("census", async (_, cancellationToken) => await Task.Delay(Timeout.Infinite, cancellationToken));

        IReadOnlyList<string> replies = await host.Bus.RequestAllAsync("census", "?", TimeSpan.FromMilliseconds(500));

        Assert.That(replies.Order(), Is.EqualTo(new[] { "a", "b" }));
    }

    [Test, CancelAfter(20_000)]
    public async Task Relay_OtherHostsReceive_AndTheOriginNeverGetsItsOwnMessageTwice()
    {
        var network = new LoopbackRelayNetwork();
        await using var first = new BusTestHost(services: s => s.AddSingleton<PluginBusRelay>(network.Join()));
        await using var second = new BusTestHost(services: s => s.AddSingleton<PluginBusRelay>(network.Join()));
        var atFirst = new Received<string>();
        var atSecond = new Received<string>();
        await first.Bus.SubscribeAsync("news", atFirst.Handler(m => $"{m.Text}:{m.Sequence}:{(m.Origin.Length == 0 ? "here" : "remote")}"));
        await second.Bus.SubscribeAsync("news", atSecond.Handler(m => $"{m.Text}:{m.Sequence}:{(m.Origin.Length == 0 ? "here" : "remote")}"));

        await first.Bus.PublishAsync("news", "one");
        Assert.That(await atSecond.NextAsync(), Is.EqualTo("one:1:remote"));
        await second.Bus.PublishAsync("news", "two");
        Assert.That(await atFirst.NextAsync(2), Is.EqualTo(new[] { "one:1:here", "two:1:remote" }));
        await first.Bus.PublishAsync("news", "three");

        Assert.That(await atSecond.NextAsync(2), Is.EqualTo(new[] { "two:1:here", "three:2:remote" }));
        Assert.That(await atFirst.NextAsync(), Is.EqualTo("three:2:here"));
        await second.Bus.PublishAsync("news", "sentinel");
        Assert.That(await atFirst.NextAsync(), Is.EqualTo("sentinel:2:remote"), "nothing was delivered twice before the sentinel");
    }

    internal sealed record BusPoint(int X, int Y);
}
