using Samples.Shop;

namespace InventoryPlugin;

/// <summary>The inventory's stock and its low-stock threshold; thread safe (the bus runs different subscriptions' handlers concurrently).</summary>
internal sealed class Stock
{
    private readonly Lock _lock = new();
    private readonly Dictionary<string, int> _items = new(StringComparer.Ordinal) { ["widget"] = 10, ["gadget"] = 5 };
    private int _lowStock;
    private int _reservations;

    /// <summary>Reserves what <paramref name="order"/> asks for, as far as there is stock.</summary>
    public StockReserved Reserve(OrderCreated order)
    {
        lock (_lock)
        {
            int available = _items.GetValueOrDefault(order.Item);
            int reserved = Math.Min(available, order.Quantity);
            _items[order.Item] = available - reserved;
            _reservations++;
            return new StockReserved(order.OrderId, order.Item, reserved, available - reserved, available - reserved <= _lowStock);
        }
    }

    /// <summary>Sets the count at or below which an item is low.</summary>
    public void SetLowStock(int lowStock)
    {
        lock (_lock)
        {
            _lowStock = lowStock;
        }
    }

    /// <summary>Describes the stock in one line.</summary>
    public string Describe()
    {
        lock (_lock)
        {
            return $"inventory: {_reservations} reservations, {string.Join(", ", _items.Select(item => $"{item.Value} {item.Key}"))} left, low at {_lowStock}";
        }
    }
}
