using System.Diagnostics;
using System.Text;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc;
using Samples.Shop;

namespace BusApp;

/// <summary>
/// The orders host's side of the demo: it starts the orders plugin (and the inventory plugin, unless that one runs on the peer
/// host), places orders over the bus, watches the inventory react, changes the config, and asks for status. Each step checks
/// what it saw and throws <see cref="DemoFailedException"/> when it is not what it should be.
/// </summary>
internal sealed class Demo(ServiceProvider host, bool inventoryOnPeer)
{
    private static readonly TimeSpan RequestTimeout = TimeSpan.FromSeconds(10);
    private readonly IPluginBus _bus = host.GetRequiredService<IPluginBus>();
    private readonly IPluginManager _manager = host.GetRequiredService<IPluginManager>();
    private readonly Inbox _inbox = new();

    /// <summary>Gets a ':' topic with the application's prefix, as subscribers see it in <see cref="BusMessage.Topic"/>.</summary>
    public static string Full(string topic) => ShopTopics.ApplicationId + topic;

    public async Task RunAsync(CancellationToken cancellationToken)
    {
        // The host's own subscribers: patterns whose messages the steps wait for (":inventory.*" is "shop:inventory.*").
        await using Subscriptions watched = await Subscriptions.WatchAsync(_bus, _inbox, cancellationToken);

        Step("Start the plugins; each subscribes, then says it is ready");
        Plugin orders = await _manager.GetAsync("orders", cancellationToken);
        Say($"orders runs as process {orders.ProcessId}: {(await _inbox.WaitForAsync(Full(ShopTopics.ReadyPrefix + "orders"), null, cancellationToken)).Text}");
        string inventoryReady = inventoryOnPeer ? await LinkToPeerAsync(cancellationToken) : await StartInventoryAsync(cancellationToken);
        Say($"inventory: {inventoryReady}");
        Check(
            inventoryReady.Contains("publishing :orders.created was refused", StringComparison.Ordinal)
                && inventoryReady.Contains("subscribing to :orders.place was refused", StringComparison.Ordinal),
            "the inventory plugin's allow-lists refused a forged :orders.created and a subscription to :orders.place");

        Step("Place orders: a typed RequestAsync to :orders.place; the orders plugin replies and publishes :orders.created, the inventory plugin reacts with :inventory.reserved");
        PlaceOrder[] toPlace = [new("widget", 4), new("gadget", 1), new("widget", 3)];
        foreach (PlaceOrder order in toPlace)
        {
            OrderCreated created = await _bus.RequestAsync<PlaceOrder, OrderCreated>(ShopTopics.PlaceOrder, order, RequestTimeout, cancellationToken);
            Say($"placed order #{created.OrderId}: {created.Quantity} x {created.Item} (the orders plugin's reply)");
        }

        List<StockReserved> reserved = [];
        for (int orderId = 1; orderId <= toPlace.Length; orderId++)
        {
            reserved.Add(await ReservationAsync(orderId, cancellationToken));
        }

        Check(
            reserved.Select(r => (r.Item, r.Quantity, r.Left, r.Low)).SequenceEqual([("widget", 4, 6, false), ("gadget", 1, 4, false), ("widget", 3, 3, false)]),
            "the inventory plugin reserved stock for each order, in order");

        Step("Publish sys.config.changed: every plugin's config-changed hook runs, with no subscription");
        await _bus.PublishAsync("sys.config.changed", """{"lowStock": 3}""", cancellationToken);
        Say((await _inbox.WaitForAsync(Full(ShopTopics.ConfiguredPrefix + "orders"), null, cancellationToken)).Text);
        Say((await _inbox.WaitForAsync(Full(ShopTopics.ConfiguredPrefix + "inventory"), null, cancellationToken)).Text);
        OrderCreated last = await _bus.RequestAsync<PlaceOrder, OrderCreated>(ShopTopics.PlaceOrder, new PlaceOrder("gadget", 2), RequestTimeout, cancellationToken);
        Say($"placed order #{last.OrderId}: {last.Quantity} x {last.Item}");
        StockReserved lowNow = await ReservationAsync(last.OrderId, cancellationToken);
        Check(lowNow is { Left: 2, Low: true }, "the inventory plugin applied the new config: 2 gadgets left is low");

        Step("Ask every subscriber of :status with RequestAllAsync");
        IReadOnlyList<string> statuses = await _bus.RequestAllAsync(ShopTopics.Status, "", RequestTimeout, cancellationToken);
        foreach (string status in statuses)
        {
            Say(status);
        }

        // Requests and replies stay on their host; only published messages cross Redis.
        Check(
            statuses.Count == (inventoryOnPeer ? 1 : 2) && statuses.Contains("orders: 4 placed"),
            inventoryOnPeer ? "only this host's plugin answered (requests do not cross hosts)" : "both plugins answered");

        Step("Ask a topic nobody subscribes to: NO_SUBSCRIBERS at once, not a timeout");
        var watch = Stopwatch.StartNew();
        try
        {
            await _bus.RequestAsync(":payments.charge", "10 EUR", RequestTimeout, cancellationToken);
            Check(false, "a request to :payments.charge fails");
        }
        catch (RemoteException ex) when (ex.Code == ErrorCodes.NoSubscribers)
        {
            Say($"{ex.Code} after {watch.ElapsedMilliseconds} ms: {ex.Message}");
            Check(watch.Elapsed < RequestTimeout, "NO_SUBSCRIBERS came before the timeout");
        }
    }

    private static void Step(string text) => Console.WriteLine($"{Environment.NewLine}> {text}");

    private static void Say(string text) => Console.WriteLine($"  {text}");

    private static void Check(bool condition, string what)
    {
        if (!condition)
        {
            throw new DemoFailedException($"Expected: {what}.");
        }

        Say($"ok: {what}");
    }

    /// <summary>Waits for the inventory plugin's reservation of an order and prints it.</summary>
    private async Task<StockReserved> ReservationAsync(int orderId, CancellationToken cancellationToken)
    {
        BusMessage message = await _inbox.WaitForAsync(Full(ShopTopics.StockReserved), m => m.Read<StockReserved>().OrderId == orderId, cancellationToken);
        StockReserved reserved = message.Read<StockReserved>();
        string where = message.Origin.Length == 0 ? "this host" : $"the peer host {message.Origin[..8]}";
        Say($"host got {message.Topic} #{message.Sequence} (missed {message.Missed}) from {message.Publisher} on {where}: order #{reserved.OrderId}, {reserved.Quantity} x {reserved.Item} reserved, {reserved.Left} left{(reserved.Low ? " (LOW)" : "")}");
        return reserved;
    }

    private async Task<string> StartInventoryAsync(CancellationToken cancellationToken)
    {
        Plugin inventory = await _manager.GetAsync("inventory", cancellationToken);
        BusMessage ready = await _inbox.WaitForAsync(Full(ShopTopics.ReadyPrefix + "inventory"), null, cancellationToken);
        return $"runs as process {inventory.ProcessId}: {ready.Text}";
    }

    /// <summary>Pings the peer host through Redis until it answers (so both ways work), and returns its inventory plugin's ready text.</summary>
    private async Task<string> LinkToPeerAsync(CancellationToken cancellationToken)
    {
        Task<BusMessage> pong = _inbox.WaitForAsync(Full(PeerTopics.Pong), null, cancellationToken);
        int pings = 0;
        while (!pong.IsCompleted)
        {
            await _bus.PublishAsync(PeerTopics.Ping, Encoding.UTF8.GetBytes("ping"), cancellationToken);
            pings++;
            await Task.WhenAny(pong, Task.Delay(TimeSpan.FromMilliseconds(250), cancellationToken));
        }

        BusMessage answer = await pong;
        return $"runs on the peer host {answer.Origin[..8]} (linked through Redis after {pings} ping(s)): {answer.Text}";
    }
}
