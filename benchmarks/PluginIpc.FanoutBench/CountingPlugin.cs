using System.Globalization;
using System.Text;

namespace PluginIpc.FanoutBench;

/// <summary>
/// The plugin: counts messages of bus topic <c>fan</c> and of the plain one-way command <c>plain</c>. The host drives a round
/// with <c>arm</c> ("N": the counts start over and the next <c>wait</c> ends when one of them reaches N) and <c>wait</c>
/// (answers the count that reached N). <c>ready</c> answers once the subscription is in place.
/// </summary>
internal static class CountingPlugin
{
    private static long s_bus;
    private static long s_plain;
    private static long s_target = long.MaxValue;
    private static TaskCompletionSource<long> s_reached = new(TaskCreationOptions.RunContinuationsAsynchronously);

    public static Task<int> RunAsync()
    {
        var subscribed = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var options = new MainOptions
        {
            Name = "counter",
            Bus = new PluginBusOptions { QueueCapacity = 1 << 20 },
            OnStart = async (main, cancellationToken) =>
            {
                await main.Bus.SubscribeAsync("fan", (_, _) =>
                {
                    Count(ref s_bus);
                    return ValueTask.CompletedTask;
                }, cancellationToken);
                subscribed.TrySetResult();
            },
        };
        options.Handle("plain", (_, _, _) =>
        {
            Count(ref s_plain);
            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        options.Handle("ready", async (_, _, cancellationToken) =>
        {
            await subscribed.Task.WaitAsync(cancellationToken);
            return ReadOnlyMemory<byte>.Empty;
        });
        options.Handle("arm", (chunk, _, _) =>
        {
            Interlocked.Exchange(ref s_bus, 0);
            Interlocked.Exchange(ref s_plain, 0);
            Volatile.Write(ref s_reached, new TaskCompletionSource<long>(TaskCreationOptions.RunContinuationsAsynchronously));
            Volatile.Write(ref s_target, long.Parse(Encoding.UTF8.GetString(chunk.Buffer.Span), CultureInfo.InvariantCulture));
            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        options.Handle("wait", async (_, _, cancellationToken) =>
        {
            long count = await Volatile.Read(ref s_reached).Task.WaitAsync(cancellationToken);
            return Encoding.UTF8.GetBytes(count.ToString(CultureInfo.InvariantCulture));
        });
        return Main.RegisterAsync(options);
    }

    private static void Count(ref long counter)
    {
        if (Interlocked.Increment(ref counter) == Volatile.Read(ref s_target))
        {
            Volatile.Read(ref s_reached).TrySetResult(counter);
        }
    }
}
