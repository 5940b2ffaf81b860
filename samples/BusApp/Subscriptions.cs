using PluginIpc;
using Samples.Shop;

namespace BusApp;

/// <summary>The host's pattern subscriptions that feed an <see cref="Inbox"/>; disposing it unsubscribes them all.</summary>
internal sealed class Subscriptions : IAsyncDisposable
{
    private readonly List<IAsyncDisposable> _handles = [];

    /// <summary>Subscribes <paramref name="inbox"/> to what the plugins and the peer host announce (no request topic: a host handler that does not reply would be asked too).</summary>
    public static async Task<Subscriptions> WatchAsync(IPluginBus bus, Inbox inbox, CancellationToken cancellationToken)
    {
        var subscriptions = new Subscriptions();
        foreach (string pattern in (string[])[ShopTopics.ReadyPrefix + "*", ShopTopics.ConfiguredPrefix + "*", ":inventory.*", ":peer.*"])
        {
            subscriptions._handles.Add(await bus.SubscribePatternAsync(pattern, inbox.Add, cancellationToken));
        }

        return subscriptions;
    }

    public async ValueTask DisposeAsync()
    {
        foreach (IAsyncDisposable handle in _handles)
        {
            await handle.DisposeAsync();
        }
    }
}
