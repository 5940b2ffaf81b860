// InventoryPlugin: the reacting side of the bus samples (samples/BusApp starts it). It subscribes to ":orders.created", which
// the orders plugin publishes, reserves stock for each order and publishes ":inventory.reserved"; its host gives it allow-lists,
// which it tries and reports. Started by hand it says so on stderr and exits with code 1.
using System.Text.Json;
using InventoryPlugin;
using PluginIpc;
using Samples.Shop;

var stock = new Stock();
var options = new MainOptions { Name = "inventory" };

options.OnStart = async (main, cancellationToken) =>
{
    // A typed subscription: each message is read as an OrderCreated.
    await main.Bus.SubscribeAsync<OrderCreated>(
        ShopTopics.OrderCreated,
        (order, token) => main.Bus.PublishAsync(ShopTopics.StockReserved, stock.Reserve(order), token),
        cancellationToken);
    await main.Bus.SubscribeAsync(
        ShopTopics.Status,
        (message, _) =>
        {
            if (message.IsRequest)
            {
                message.Reply(stock.Describe());
            }

            return ValueTask.CompletedTask;
        },
        cancellationToken);

    // The host allows this plugin to publish ":inventory.*" and ":ready.inventory" ... only (BusApp's Shop.AddInventory).
    string forging = await RefusedAsync(() => main.Bus.PublishAsync(ShopTopics.OrderCreated, new OrderCreated(999, "forged", 1), cancellationToken).AsTask());
    string eavesdropping = await RefusedAsync(() => main.Bus.SubscribeAsync(ShopTopics.PlaceOrder, (_, _) => ValueTask.CompletedTask, cancellationToken).AsTask());
    await main.Bus.PublishAsync(
        ShopTopics.ReadyPrefix + "inventory",
        $"subscribed to :orders.created and :status; publishing :orders.created {forging}; subscribing to :orders.place {eavesdropping}",
        cancellationToken);
};

// sys.config.changed reaches every plugin without a subscription and runs this hook; its payload is JSON text here.
options.OnConfigChanged = async (main, message, cancellationToken) =>
{
    using JsonDocument config = JsonDocument.Parse(message.Payload);
    int lowStock = config.RootElement.GetProperty("lowStock").GetInt32();
    stock.SetLowStock(lowStock);
    await main.Bus.PublishAsync(ShopTopics.ConfiguredPrefix + "inventory", $"inventory now warns at {lowStock} left", cancellationToken);
};

return await Main.RegisterAsync(options);

// "was refused (...)" when the allow-list refused it, "was ALLOWED" otherwise.
static async Task<string> RefusedAsync(Func<Task> attempt)
{
    try
    {
        await attempt();
        return "was ALLOWED";
    }
    catch (UnauthorizedAccessException ex)
    {
        return $"was refused ({ex.Message})";
    }
}
