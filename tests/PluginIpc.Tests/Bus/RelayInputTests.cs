using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;
using PluginIpc.Tests.Host;

namespace PluginIpc.Tests.Bus;

/// <summary>Frames from other hosts are untrusted: what the bus delivers, drops and counts.</summary>
public sealed class RelayInputTests
{
    private static readonly string s_otherHost = new('b', 32);

    [Test, CancelAfter(20_000)]
    public async Task AFrameWhoseTopicIsNotItsChannels_IsDroppedAndCounted_TheRightOneIsDelivered(CancellationToken cancellationToken)
    {
        var relay = new ScriptedRelay();
        var logs = new CapturingLoggerFactory();
        await using var host = new BusTestHost(services: s => s.AddSingleton<PluginBusRelay>(relay).AddSingleton<ILoggerFactory>(logs));
        var seen = new Received<string>();
        await host.Bus.SubscribeAsync("sys.note", seen.Handler(m => m.Text), cancellationToken);
        await host.Bus.SubscribeAsync("orders", seen.Handler(m => m.Text), cancellationToken);

        // Sent on a channel of another topic, as a client that may publish there only could: it must not reach 'sys.note'.
        relay.Arrive(Frame("sys.note", 1, "smuggled"), "orders\nforged log line");
        relay.Arrive(Frame("orders", 2, "fine"), "orders");
        relay.Arrive(Frame("sys.note", 3, "from a relay that does not route by topic"), topic: null);

        Assert.That(await seen.NextAsync(2), Is.EquivalentTo(new[] { "fine", "from a relay that does not route by topic" }), "two subscriptions: in either order");
        Assert.That(((HostBus)host.Bus).InvalidRelayedCount, Is.EqualTo(1));
        string logged = logs.Entries.Single(entry => entry.EventId.Id == 606).Message;
        Assert.That(logged, Does.StartWith("1 bus message(s) from other hosts").And.Contain("'orders?forged log line'").And.Not.Contain("\n"));
    }

    [Test, CancelAfter(20_000)]
    public async Task FramesWithABadOriginSequenceOrPublisher_AreDroppedAndCounted(CancellationToken cancellationToken)
    {
        var relay = new ScriptedRelay();
        await using var host = new BusTestHost(services: s => s.AddSingleton<PluginBusRelay>(relay));
        var seen = new Received<string>();
        await host.Bus.SubscribeAsync("orders", seen.Handler(m => $"{m.Text}:{m.Missed}"), cancellationToken);

        relay.Arrive(BusWire.Relay(BusWire.RelayPrefix("not-a-host-id"), "orders", 1, null, "origin"u8), "orders");
        relay.Arrive(Frame("orders", 0, "sequence 0"), "orders");
        relay.Arrive(Frame("orders", -5, "negative sequence"), "orders");
        relay.Arrive(BusWire.Relay(BusWire.RelayPrefix(s_otherHost), "orders", 1, new string('p', 257), "publisher"u8), "orders");
        relay.Arrive([0x93, 0x01, 0x02, 0x03], "orders");

        // The largest sequence, then a host that started over: no negative gap from an overflow.
        relay.Arrive(Frame("orders", long.MaxValue, "last"), "orders");
        relay.Arrive(Frame("orders", 5, "after a restart"), "orders");

        Assert.That(await seen.NextAsync(2), Is.EqualTo(new[] { "last:0", "after a restart:0" }));
        Assert.That(((HostBus)host.Bus).InvalidRelayedCount, Is.EqualTo(5));
    }

    private static byte[] Frame(string topic, long sequence, string text) =>
        BusWire.Relay(BusWire.RelayPrefix(s_otherHost), topic, sequence, "remote", System.Text.Encoding.UTF8.GetBytes(text));

    /// <summary>A relay whose frames the test hands in, received in order on the relay's own task.</summary>
    private sealed class ScriptedRelay : PluginBusRelay
    {
        private readonly System.Threading.Channels.Channel<(byte[] Frame, string? Topic)> _inbox = System.Threading.Channels.Channel.CreateUnbounded<(byte[], string?)>();

        public void Arrive(byte[] frame, string? topic) => _inbox.Writer.TryWrite((frame, topic));

        protected internal override void Send(ReadOnlyMemory<byte> frame)
        {
        }

        protected internal override async Task RunAsync(CancellationToken stopping)
        {
            try
            {
                await foreach ((byte[] frame, string? topic) in _inbox.Reader.ReadAllAsync(stopping))
                {
                    if (topic is null)
                    {
                        Receive(frame);
                    }
                    else
                    {
                        Receive(frame, topic);
                    }
                }
            }
            catch (OperationCanceledException) when (stopping.IsCancellationRequested)
            {
                // the bus stopped
            }
        }
    }
}
