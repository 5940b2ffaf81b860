// OrdersPlugin: the publishing side of the bus samples (samples/BusApp starts it). It answers ":orders.place" requests and
// publishes each order it places on ":orders.created", without knowing who listens; the inventory plugin reacts to them.
// Started by hand it says so on stderr and exits with code 1.
using PluginIpc;
using Samples.Shop;

int placed = 0;
var options = new MainOptions { Name = "orders" };

options.OnStart = async (main, cancellationToken) =>
{
    // A typed request/reply subscription: the responder's result is the reply.
    await main.Bus.SubscribeAsync<PlaceOrder, OrderCreated>(
        ShopTopics.PlaceOrder,
        async (order, token) =>
        {
            var created = new OrderCreated(Interlocked.Increment(ref placed), order.Item, order.Quantity);
            await main.Bus.PublishAsync(ShopTopics.OrderCreated, created, token);
            return created;
        },
        cancellationToken);

    // RequestAll asks every subscriber of ":status"; this one answers with a line of text.
    await main.Bus.SubscribeAsync(
        ShopTopics.Status,
        (message, _) =>
        {
            if (message.IsRequest)
            {
                message.Reply($"orders: {Volatile.Read(ref placed)} placed");
            }

            return ValueTask.CompletedTask;
        },
        cancellationToken);

    // Subscribed (the host acknowledged each subscription): tell whoever waits for this plugin.
    await main.Bus.PublishAsync(ShopTopics.ReadyPrefix + "orders", "subscribed to :orders.place and :status", cancellationToken);
};

// sys.config.changed reaches every plugin without a subscription and runs this hook.
options.OnConfigChanged = (main, message, cancellationToken) =>
    main.Bus.PublishAsync(ShopTopics.ConfiguredPrefix + "orders", $"orders saw the new config {message.Text}", cancellationToken).AsTask();

return await Main.RegisterAsync(options);
