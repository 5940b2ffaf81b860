namespace Samples.Shop;

/// <summary>
/// The topics of the bus samples. Each starts with ':', so it gets the host's application id as prefix (":orders.created" is
/// "shop:orders.created" when PluginBusOptions.ApplicationId is "shop").
/// </summary>
public static class ShopTopics
{
    /// <summary>The application id BusApp configures: the prefix of every ':' topic.</summary>
    public const string ApplicationId = "shop";

    /// <summary>Request: a <see cref="PlaceOrder"/>; the orders plugin replies with the <see cref="OrderCreated"/>.</summary>
    public const string PlaceOrder = ":orders.place";

    /// <summary>Published by the orders plugin for each order: an <see cref="OrderCreated"/>.</summary>
    public const string OrderCreated = ":orders.created";

    /// <summary>Published by the inventory plugin for each order it reserved stock for: a <see cref="StockReserved"/>.</summary>
    public const string StockReserved = ":inventory.reserved";

    /// <summary>Request to every plugin (RequestAll): each replies with a line of text about itself.</summary>
    public const string Status = ":status";

    /// <summary>The prefix of the text a plugin publishes once it has subscribed: ":ready.orders", ":ready.inventory".</summary>
    public const string ReadyPrefix = ":ready.";

    /// <summary>The prefix of the text a plugin publishes when its config-changed hook ran: ":configured.orders", ...</summary>
    public const string ConfiguredPrefix = ":configured.";
}
