
namespace PluginIpc.Tests.Bus;

/// <summary>What a test's subscriber received, to await in order.</summary>
internal sealed class Received<T>
{
    private readonly System.Threading.Channels.Channel<T> _items = System.Threading.Channels.Channel.CreateUnbounded<T>();

    public void Add(T item) => _items.Writer.TryWrite(item);

    public BusHandler Handler(Func<BusMessage, T> select) => (message, _) =>
    {
        Add(select(message));
        return default;
    };

    /// <summary>Returns the next item, failing the test after 10 s.</summary>
    public async Task<T> NextAsync() => await _items.Reader.ReadAsync().AsTask().WaitAsync(TimeSpan.FromSeconds(10));

    /// <summary>Returns the next item, or throws <see cref="OperationCanceledException"/> once <paramref name="cancellationToken"/> fires.</summary>
    public async Task<T> NextAsync(CancellationToken cancellationToken) => await _items.Reader.ReadAsync(cancellationToken);

    public async Task<List<T>> NextAsync(int count)
    {
        var items = new List<T>(count);
        for (int i = 0; i < count; i++)
        {
            items.Add(await NextAsync());
        }

        return items;
    }

    public bool TryTake(out T? item) => _items.Reader.TryRead(out item);
}
