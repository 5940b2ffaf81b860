using Microsoft.Extensions.DependencyInjection;
using PluginIpc;
using Samples.Shop;

namespace BusApp;

/// <summary>
/// <c>--peer host:port</c>: the second host of <c>--redis</c>, which BusApp starts itself. It runs the inventory plugin on a bus
/// shared through Redis, answers the orders host's pings once that plugin is ready, and prints what crosses from the other
/// host. It stops when its standard input ends: the orders host closes it, or went away.
/// </summary>
internal static class PeerHost
{
    /// <summary>The line it prints once it answers pings.</summary>
    public const string ReadyLine = "peer ready";

    public static async Task<int> RunAsync(string redis)
    {
        await using ServiceProvider host = Shop.CreateHost(redis, "inventory");
        IPluginBus bus = host.GetRequiredService<IPluginBus>();
        var inbox = new Inbox();
        await using Subscriptions watched = await Subscriptions.WatchAsync(bus, inbox, CancellationToken.None);

        // Host code here sees what the orders host's plugin publishes, as the inventory plugin here does.
        await using IAsyncDisposable orders = await bus.SubscribeAsync(ShopTopics.OrderCreated, (message, _) =>
        {
            OrderCreated order = message.Read<OrderCreated>();
            Console.WriteLine($"got {message.Topic} #{message.Sequence} from {message.Publisher} on host {message.Origin[..8]}: order #{order.OrderId}, {order.Quantity} x {order.Item}");
            return ValueTask.CompletedTask;
        });
        await using IAsyncDisposable config = await bus.SubscribeAsync("sys.config.changed", (message, _) =>
        {
            Console.WriteLine($"got {message.Topic} from host {message.Origin[..8]}: {message.Text}");
            return ValueTask.CompletedTask;
        });

        Plugin inventory = await host.GetRequiredService<IPluginManager>().GetAsync("inventory");
        BusMessage ready = await inbox.WaitForAsync(Demo.Full(ShopTopics.ReadyPrefix + "inventory"), null, CancellationToken.None);
        string readyText = $"process {inventory.ProcessId}: {ready.Text}";
        await using IAsyncDisposable pings = await bus.SubscribeAsync(PeerTopics.Ping, (_, token) => bus.PublishAsync(PeerTopics.Pong, readyText, token));
        Console.WriteLine(ReadyLine);

        while (await Console.In.ReadLineAsync() is not null)
        {
            // nothing to do with input: its end is the signal to stop
        }

        Console.WriteLine("stopping");
        return 0;
    }
}
