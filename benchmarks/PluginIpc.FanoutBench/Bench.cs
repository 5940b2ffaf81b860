using System.Diagnostics;
using System.Globalization;
using System.Text;
using Microsoft.Extensions.DependencyInjection;

namespace PluginIpc.FanoutBench;

/// <summary>
/// The host: starts the counting plugins (this executable, mode <c>plugin</c>) through the plugin manager, then measures in rounds
/// the floor (plain one-way notifications <c>plain</c>, one sender per plugin, each sending N) against the bus (one publisher, host
/// code, <see cref="IPluginBus.PublishAsync"/> of N messages to topic <c>fan</c>, which every plugin subscribed to). Rate =
/// deliveries the plugins counted / time from the first send until every plugin has counted N.
/// </summary>
internal static class Bench
{
    private const int PayloadSize = 64;

    public static async Task<int> RunAsync(int rounds, int messages, int pluginCount, string only)
    {
        var services = new ServiceCollection();
        services.AddPluginIpc(options =>
        {
            options.PluginFolders.Clear();
            options.Bus.QueueCapacity = 1 << 20; // the round measures delivery, not the drop policy
        });
        string[] names = [.. Enumerable.Range(1, pluginCount).Select(i => $"counter{i}")];
        foreach (string name in names)
        {
            services.AddPlugin(name, options =>
            {
                options.ExecutablePath = Environment.ProcessPath!;
                options.Arguments.Add("exec");
                options.Arguments.Add(typeof(Bench).Assembly.Location);
                options.Arguments.Add("plugin");
            });
        }

        await using ServiceProvider provider = services.BuildServiceProvider();
        IPluginBus bus = provider.GetRequiredService<IPluginBus>();
        IPluginManager manager = provider.GetRequiredService<IPluginManager>();
        Plugin[] plugins = await Task.WhenAll(names.Select(name => manager.GetAsync(name)));
        await Task.WhenAll(plugins.Select(plugin => plugin.CallAsync("ready", ReadOnlyMemory<byte>.Empty)));

        byte[] payload = new byte[PayloadSize];
        Random.Shared.NextBytes(payload);

        async Task<(double Rate, long Counted)> Round(bool useBus)
        {
            byte[] target = Encoding.UTF8.GetBytes(messages.ToString(CultureInfo.InvariantCulture));
            await Task.WhenAll(plugins.Select(plugin => plugin.CallAsync("arm", target)));
            Task<ReadOnlyMemory<byte>>[] waits = [.. plugins.Select(plugin => plugin.CallAsync("wait", ReadOnlyMemory<byte>.Empty, TimeSpan.FromSeconds(120)))];
            long start = Stopwatch.GetTimestamp();
            if (useBus)
            {
                for (int i = 0; i < messages; i++)
                {
                    await bus.PublishAsync("fan", payload);
                }
            }
            else
            {
                await Task.WhenAll(plugins.Select(plugin => Task.Run(async () =>
                {
                    for (int i = 0; i < messages; i++)
                    {
                        await plugin.NotifyAsync("plain", payload);
                    }
                })));
            }

            ReadOnlyMemory<byte>[] counts = await Task.WhenAll(waits);
            double seconds = Stopwatch.GetElapsedTime(start).TotalSeconds;
            long counted = counts.Sum(count => long.Parse(Encoding.UTF8.GetString(count.Span), CultureInfo.InvariantCulture));
            return (counted / seconds, counted);
        }

        // Warm-up by time: 2 s of both kinds, a tenth of a round each at a time.
        int full = messages;
        messages = Math.Max(1, full / 10);
        long warmUp = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warmUp) < TimeSpan.FromSeconds(2))
        {
            await Round(useBus: false);
            await Round(useBus: true);
        }

        messages = full;
        // CPU time of the host and of the plugins (together) per delivery: steadier than rates on a shared machine.
        Process[] processes = [Process.GetCurrentProcess(), .. plugins.Select(plugin => Process.GetProcessById(plugin.ProcessId!.Value))];
        double plainHostCpu = 0, plainPluginCpu = 0, busHostCpu = 0, busPluginCpu = 0;
        async Task<(double Rate, long Counted)> Timed(bool useBus)
        {
            TimeSpan[] before = [.. processes.Select(CpuTime)];
            (double Rate, long Counted) result = await Round(useBus);
            double host = (CpuTime(processes[0]) - before[0]).TotalMicroseconds;
            double plugins = processes.Skip(1).Select((process, i) => (CpuTime(process) - before[i + 1]).TotalMicroseconds).Sum();
            if (useBus)
            {
                busHostCpu += host;
                busPluginCpu += plugins;
            }
            else
            {
                plainHostCpu += host;
                plainPluginCpu += plugins;
            }

            return result;
        }

        var plainRates = new List<double>();
        var busRates = new List<double>();
        Console.WriteLine($"cpus={Environment.ProcessorCount} plugins={pluginCount} messages={messages} payload={PayloadSize}B deliveries/round={(long)messages * pluginCount}");
        Console.WriteLine("round | plain deliveries/s | bus deliveries/s | bus/plain | plain counted | bus counted");
        for (int round = 1; round <= rounds; round++)
        {
            // only=bus or only=plain runs one kind (for a profiler); the other column is then 0.
            (double plainRate, long plainCounted) = only == "bus" ? (0, 0) : await Timed(useBus: false);
            (double busRate, long busCounted) = only == "plain" ? (0, 0) : await Timed(useBus: true);
            plainRates.Add(plainRate);
            busRates.Add(busRate);
            Console.WriteLine($"{round} | {plainRate:F0} | {busRate:F0} | {busRate / plainRate:P0} | {plainCounted} | {busCounted}");
        }

        double ratio = Median(busRates) / Median(plainRates);
        Console.WriteLine($"median | {Median(plainRates):F0} | {Median(busRates):F0} | {ratio:P0}");
        double deliveries = (double)rounds * messages * pluginCount;
        Console.WriteLine($"cpu µs/delivery (host / plugins): plain {plainHostCpu / deliveries:F2} / {plainPluginCpu / deliveries:F2}, bus {busHostCpu / deliveries:F2} / {busPluginCpu / deliveries:F2}; total plain {(plainHostCpu + plainPluginCpu) / deliveries:F2}, bus {(busHostCpu + busPluginCpu) / deliveries:F2}");
        Console.WriteLine($"fan-out bus/plain = {ratio:P0} (goal >= 70%) {(ratio >= 0.7 ? "MET" : "MISSED")}");
        await manager.StopAsync();
        return 0;
    }

    private static TimeSpan CpuTime(Process process)
    {
        process.Refresh();
        return process.TotalProcessorTime;
    }

    private static double Median(List<double> values)
    {
        values.Sort();
        return values.Count % 2 == 1 ? values[values.Count / 2] : (values[(values.Count / 2) - 1] + values[values.Count / 2]) / 2;
    }
}
