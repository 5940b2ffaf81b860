namespace Samples.Shop;

/// <summary>Stock the inventory plugin reserved for an order (topic <see cref="ShopTopics.StockReserved"/>).</summary>
/// <param name="OrderId">The order.</param>
/// <param name="Item">The item.</param>
/// <param name="Quantity">How many were reserved.</param>
/// <param name="Left">How many of the item are left in stock.</param>
/// <param name="Low">Whether <paramref name="Left"/> is at or below the low-stock threshold (set through sys.config.changed).</param>
public sealed record StockReserved(int OrderId, string Item, int Quantity, int Left, bool Low);
