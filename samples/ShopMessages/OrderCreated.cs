namespace Samples.Shop;

/// <summary>An order the orders plugin placed (topic <see cref="ShopTopics.OrderCreated"/>).</summary>
/// <param name="OrderId">The order's number, 1, 2, ...</param>
/// <param name="Item">What is ordered.</param>
/// <param name="Quantity">How many.</param>
public sealed record OrderCreated(int OrderId, string Item, int Quantity);
