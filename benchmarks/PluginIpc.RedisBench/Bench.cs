using System.Diagnostics;
using System.Globalization;
using System.Net;
using System.Net.Sockets;
using System.Runtime.CompilerServices;
using Microsoft.Extensions.DependencyInjection;
using PluginIpc;
using StackExchange.Redis;

namespace PluginIpc.RedisBench;

/// <summary>
/// Process A: starts its own redis-server on a free loopback port and the peer process (B), then measures in rounds raw
/// StackExchange.Redis pub/sub against IPluginBus through PluginIpc.Redis: ping-pong latency (A publishes, B echoes on
/// another channel/topic, A receives) and throughput (A publishes N, B counts and reports the count).
/// </summary>
internal static class Bench
{
    private const int PayloadSize = 64;

    public static ServiceProvider BusServices(string redis)
    {
        var services = new ServiceCollection();
        // Large queues: the throughput round measures delivery, not the drop policy.
        services.AddPluginIpc(options => options.Bus.QueueCapacity = 1 << 20);
        services.AddPluginIpcRedisBus(redis, options => options.OutageBufferSize = 1 << 20);
        return services.BuildServiceProvider();
    }

    public static async Task<int> RunAsync(int rounds, int pings, int messages)
    {
        int port = FreePort();
        using Process redisServer = Start("redis-server", ["--port", port.ToString(CultureInfo.InvariantCulture), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"]);
        try
        {
            await WaitForLineAsync(redisServer, "Ready to accept connections");
            string redis = $"127.0.0.1:{port}";
            using Process peer = Start(Environment.ProcessPath!, ["exec", typeof(Bench).Assembly.Location, "peer", redis]);
            try
            {
                await WaitForLineAsync(peer, "ready");
                return await MeasureAsync(redis, rounds, pings, messages, [Process.GetCurrentProcess(), peer, redisServer]);
            }
            finally
            {
                peer.StandardInput.Close();
                await peer.WaitForExitAsync();
            }
        }
        finally
        {
            redisServer.Kill();
            await redisServer.WaitForExitAsync();
        }
    }

    private static async Task<int> MeasureAsync(string redis, int rounds, int pings, int messages, Process[] processes)
    {
        byte[] payload = new byte[PayloadSize];
        Random.Shared.NextBytes(payload);

        await using ConnectionMultiplexer raw = await ConnectionMultiplexer.ConnectAsync(redis);
        ISubscriber subscriber = raw.GetSubscriber();
        TaskCompletionSource rawPong = NewSignal();
        TaskCompletionSource<long> rawCount = new(TaskCreationOptions.RunContinuationsAsynchronously);
        (await subscriber.SubscribeAsync(RedisChannel.Literal("raw.pong"))).OnMessage(_ => rawPong.TrySetResult());
        (await subscriber.SubscribeAsync(RedisChannel.Literal("raw.count"))).OnMessage(message => rawCount.TrySetResult((long)message.Message));
        RedisChannel rawPing = RedisChannel.Literal("raw.ping"), rawThroughput = RedisChannel.Literal("raw.tp");

        await using ServiceProvider provider = BusServices(redis);
        IPluginBus bus = provider.GetRequiredService<IPluginBus>();
        TaskCompletionSource busPong = NewSignal();
        TaskCompletionSource<long> busCount = new(TaskCreationOptions.RunContinuationsAsynchronously);
        await using IAsyncDisposable pongs = await bus.SubscribeAsync("pong", (_, _) =>
        {
            busPong.TrySetResult();
            return ValueTask.CompletedTask;
        });
        await using IAsyncDisposable counts = await bus.SubscribeAsync("count", (message, _) =>
        {
            busCount.TrySetResult(long.Parse(message.Text, CultureInfo.InvariantCulture));
            return ValueTask.CompletedTask;
        });

        async Task<double> RawPing()
        {
            rawPong = NewSignal();
            long start = Stopwatch.GetTimestamp();
            await subscriber.PublishAsync(rawPing, payload);
            await rawPong.Task;
            return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        async Task<double> BusPing()
        {
            busPong = NewSignal();
            long start = Stopwatch.GetTimestamp();
            await bus.PublishAsync("ping", payload);
            await busPong.Task;
            return Stopwatch.GetElapsedTime(start).TotalMicroseconds;
        }

        async Task<(double Rate, long Received)> RawThroughput()
        {
            rawCount = new(TaskCreationOptions.RunContinuationsAsynchronously);
            var publishing = new Task[messages + 1];
            long start = Stopwatch.GetTimestamp();
            PublishRaw(subscriber, rawThroughput, payload, publishing, messages);
            publishing[messages] = subscriber.PublishAsync(rawThroughput, "end"u8.ToArray());
            long received = await rawCount.Task.WaitAsync(TimeSpan.FromSeconds(60));
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            await Task.WhenAll(publishing);
            return (received / seconds, received);
        }

        async Task<(double Rate, long Received)> BusThroughput()
        {
            busCount = new(TaskCreationOptions.RunContinuationsAsynchronously);
            long start = Stopwatch.GetTimestamp();
            await PublishBus(bus, payload, messages);
            await bus.PublishAsync("tp", "end"u8.ToArray());
            long received = await busCount.Task.WaitAsync(TimeSpan.FromSeconds(60));
            return (received / Stopwatch.GetElapsedTime(start).TotalSeconds, received);
        }

        // The bus is linked once a ping comes back (the relays connect and subscribe in the background).
        for (int attempt = 0; ; attempt++)
        {
            busPong = NewSignal();
            await bus.PublishAsync("ping", payload);
            if (await Task.WhenAny(busPong.Task, Task.Delay(250)) == busPong.Task)
            {
                break;
            }

            if (attempt > 120)
            {
                Console.Error.WriteLine("The bus did not link within 30 s.");
                return 1;
            }
        }

        // Warm-up by time: 2 s of both kinds of ping and a small throughput round of each.
        long warmUp = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warmUp) < TimeSpan.FromSeconds(2))
        {
            await RawPing();
            await BusPing();
        }

        await RawThroughput();
        await BusThroughput();

        var rawLatency = new List<double>();
        var busLatency = new List<double>();
        var rawRate = new List<double>();
        var busRate = new List<double>();
        Console.WriteLine($"cpus={Environment.ProcessorCount} pings={pings} messages={messages} payload={PayloadSize}B");
        Console.WriteLine("round | raw p50 µs | bus p50 µs | raw msg/s | bus msg/s | raw recv | bus recv");
        // CPU time of A, B and redis-server per message of the throughput rounds: steadier than rates on a shared machine.
        var rawCpu = new double[processes.Length];
        var busCpu = new double[processes.Length];
        async Task<(double Rate, long Received)> Timed(Func<Task<(double Rate, long Received)>> run, double[] cpu)
        {
            TimeSpan[] before = [.. processes.Select(CpuTime)];
            (double Rate, long Received) result = await run();
            for (int i = 0; i < processes.Length; i++)
            {
                cpu[i] += (CpuTime(processes[i]) - before[i]).TotalMicroseconds;
            }

            return result;
        }

        for (int round = 1; round <= rounds; round++)
        {
            var rawRound = new List<double>(pings);
            var busRound = new List<double>(pings);
            for (int i = 0; i < pings; i++)
            {
                // Interleaved, so that both see the same machine at the same moment.
                rawRound.Add(await RawPing());
                busRound.Add(await BusPing());
            }

            (double rawPerSecond, long rawReceived) = await Timed(RawThroughput, rawCpu);
            (double busPerSecond, long busReceived) = await Timed(BusThroughput, busCpu);
            rawLatency.Add(Median(rawRound));
            busLatency.Add(Median(busRound));
            rawRate.Add(rawPerSecond);
            busRate.Add(busPerSecond);
            Console.WriteLine($"{round} | {rawLatency[^1]:F1} | {busLatency[^1]:F1} | {rawPerSecond:F0} | {busPerSecond:F0} | {rawReceived} | {busReceived}");
        }

        double latencyRatio = Median(busLatency) / Median(rawLatency);
        double rateRatio = Median(busRate) / Median(rawRate);
        Console.WriteLine($"median | {Median(rawLatency):F1} | {Median(busLatency):F1} | {Median(rawRate):F0} | {Median(busRate):F0}");
        double perMessage = (double)rounds * messages;
        Console.WriteLine($"cpu µs/msg (A publisher, B receiver, redis-server): raw {string.Join(" / ", rawCpu.Select(cpu => (cpu / perMessage).ToString("F2", CultureInfo.InvariantCulture)))}, bus {string.Join(" / ", busCpu.Select(cpu => (cpu / perMessage).ToString("F2", CultureInfo.InvariantCulture)))}; total raw {rawCpu.Sum() / perMessage:F2}, bus {busCpu.Sum() / perMessage:F2}");
        Console.WriteLine($"latency bus/raw = {latencyRatio:F2} (goal <= 1.5) {(latencyRatio <= 1.5 ? "MET" : "MISSED")}");
        Console.WriteLine($"throughput bus/raw = {rateRatio:P0} (goal >= 70%) {(rateRatio >= 0.7 ? "MET" : "MISSED")}");
        return 0;
    }

    // The publishing loops of the throughput rounds, raw and bus alike, are compiled fully optimized at once: a loop in an
    // async method that runs a few times a round would otherwise stay tier-0 code, whose cost (more for an awaited call) is the harness's.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void PublishRaw(ISubscriber subscriber, RedisChannel channel, byte[] payload, Task[] publishing, int messages)
    {
        for (int i = 0; i < messages; i++)
        {
            publishing[i] = subscriber.PublishAsync(channel, payload); // pipelined
        }
    }

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static ValueTask PublishBus(IPluginBus bus, byte[] payload, int messages)
    {
        for (int i = 0; i < messages; i++)
        {
            ValueTask publishing = bus.PublishAsync("tp", payload);
            if (!publishing.IsCompletedSuccessfully)
            {
                return PublishBusSlowly(publishing, bus, payload, messages - i - 1);
            }
        }

        return ValueTask.CompletedTask;
    }

    private static async ValueTask PublishBusSlowly(ValueTask pending, IPluginBus bus, byte[] payload, int messages)
    {
        await pending;
        await PublishBus(bus, payload, messages);
    }

    private static TimeSpan CpuTime(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    private static TaskCompletionSource NewSignal() => new(TaskCreationOptions.RunContinuationsAsynchronously);

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }

    private static int FreePort()
    {
        var listener = new TcpListener(IPAddress.Loopback, 0);
        listener.Start();
        int port = ((IPEndPoint)listener.LocalEndpoint).Port;
        listener.Stop();
        return port;
    }

    private static Process Start(string fileName, string[] arguments)
    {
        var startInfo = new ProcessStartInfo(fileName) { UseShellExecute = false, RedirectStandardOutput = true, RedirectStandardInput = true };
        foreach (string argument in arguments)
        {
            startInfo.ArgumentList.Add(argument);
        }

        return Process.Start(startInfo)!;
    }

    private static async Task WaitForLineAsync(Process process, string text)
    {
        while (await process.StandardOutput.ReadLineAsync().WaitAsync(TimeSpan.FromSeconds(30)) is { } line)
        {
            if (line.Contains(text, StringComparison.Ordinal))
            {
                _ = process.StandardOutput.ReadToEndAsync(); // keep draining
                return;
            }
        }

        throw new InvalidOperationException($"{process.StartInfo.FileName} ended before it wrote '{text}'.");
    }
}
