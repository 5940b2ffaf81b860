namespace Samples.Shop;

/// <summary>Asks the orders plugin to place an order (request topic <see cref="ShopTopics.PlaceOrder"/>).</summary>
/// <param name="Item">What is ordered.</param>
/// <param name="Quantity">How many.</param>
public sealed record PlaceOrder(string Item, int Quantity);
