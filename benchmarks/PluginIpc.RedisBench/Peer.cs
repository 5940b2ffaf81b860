using Microsoft.Extensions.DependencyInjection;
using PluginIpc;
using StackExchange.Redis;

namespace PluginIpc.RedisBench;

/// <summary>
/// The second process (B). Raw: echoes channel <c>raw.ping</c> to <c>raw.pong</c>, and counts <c>raw.tp</c> until a 3-byte
/// message, then publishes the count on <c>raw.count</c>. Bus: the same with IPluginBus topics <c>ping</c>, <c>pong</c>,
/// <c>tp</c> and <c>count</c>, through PluginIpc.Redis. Exits when stdin closes.
/// </summary>
internal static class Peer
{
    public static async Task RunAsync(string redis)
    {
        await using ConnectionMultiplexer raw = await ConnectionMultiplexer.ConnectAsync(redis);
        ISubscriber subscriber = raw.GetSubscriber();
        ChannelMessageQueue ping = await subscriber.SubscribeAsync(RedisChannel.Literal("raw.ping"));
        ping.OnMessage(message => subscriber.PublishAsync(RedisChannel.Literal("raw.pong"), message.Message));
        long rawCount = 0;
        ChannelMessageQueue throughput = await subscriber.SubscribeAsync(RedisChannel.Literal("raw.tp"));
        throughput.OnMessage(message =>
        {
            if (((ReadOnlyMemory<byte>)message.Message).Length == 3)
            {
                _ = subscriber.PublishAsync(RedisChannel.Literal("raw.count"), rawCount);
                rawCount = 0;
            }
            else
            {
                rawCount++;
            }
        });

        await using ServiceProvider provider = Bench.BusServices(redis);
        IPluginBus bus = provider.GetRequiredService<IPluginBus>();
        await using IAsyncDisposable pong = await bus.SubscribeAsync("ping", (message, cancellationToken) => bus.PublishAsync("pong", message.Payload, cancellationToken));
        long busCount = 0;
        await using IAsyncDisposable count = await bus.SubscribeAsync("tp", (message, cancellationToken) =>
        {
            if (message.Payload.Length != 3)
            {
                busCount++;
                return ValueTask.CompletedTask;
            }

            long received = busCount;
            busCount = 0;
            return bus.PublishAsync("count", received.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        });

        Console.WriteLine("ready");
        await Console.In.ReadToEndAsync();
    }
}
