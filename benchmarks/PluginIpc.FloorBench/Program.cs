using System.Globalization;
using PluginIpc.Benchmarks;
using PluginIpc.FloorBench;

// Usage: PluginIpc.FloorBench [rounds=3] [only=c,floor,floor-async,text,msgpack,text-poll,msgpack-poll,text-pooled,msgpack-pooled,contract,sjr-msgpack,sjr-nerdbank,sjr-json] [samples=300] [calls=500] [warmup=2] [seqonly=1] [growpipes=0] [smallwarmup=1] [echoonly=65536] [inflightonly=1] [echowarmup=1]   (the host)
//        PluginIpc.FloorBench floor-child                                                               (the .NET floor's child)
// Targets: c, floor, floor-async = the floors; text, msgpack = PluginIpc's byte calls against EchoPlugin (-poll: busy polling;
// -pooled: large echoes as CallPooledAsync; msgpack also its typed
// bench.move); contract = PluginIpc's IBenchService proxy, sjr-* = StreamJsonRpc's with one formatter, against PluginIpc.StreamJsonRpcPeer.
// The default is only=c,floor,text,msgpack.
if (args is ["floor-child", ..])
{
    return FloorChild.Run();
}

string Arg(string name, string fallback) =>
    args.FirstOrDefault(arg => arg.StartsWith(name + "=", StringComparison.Ordinal)) is { } value ? value[(name.Length + 1)..] : fallback;

int rounds = int.Parse(Arg("rounds", "3"), CultureInfo.InvariantCulture);
string[] only = Arg("only", "c,floor,text,msgpack").Split(',');
var settings = new Settings(
    WarmUpSeconds: double.Parse(Arg("warmup", "2"), CultureInfo.InvariantCulture),
    SequentialSamples: int.Parse(Arg("samples", "300"), CultureInfo.InvariantCulture),
    CallsPerSample: int.Parse(Arg("calls", "500"), CultureInfo.InvariantCulture),
    InFlightSamples: 30,
    BatchesPerSample: 100,
    Echo64KiBSamples: 30,
    Echo64KiBPerSample: 20,
    Echo1MiBSamples: 20,
    Echo1MiBPerSample: 3,
    IdleSeconds: 5,
    SequentialOnly: Arg("seqonly", "0") == "1",
    GrowPipes: Arg("growpipes", "1") == "1",
    SmallWarmUp: Arg("smallwarmup", "0") == "1",
    EchoOnlyBytes: int.Parse(Arg("echoonly", "0"), CultureInfo.InvariantCulture),
    InFlightOnly: Arg("inflightonly", "0") == "1",
    EchoWarmUpSeconds: double.Parse(Arg("echowarmup", "1"), CultureInfo.InvariantCulture));

// Children inherit this; on one CPU the runtime would otherwise delay tier-up tenfold (see benchmarks/README.md).
Environment.SetEnvironmentVariable("DOTNET_TC_DelaySingleProcMultiplier", "1");
Console.WriteLine($"cpus={Environment.ProcessorCount} rounds={rounds} {settings} loadavg={File.ReadAllText("/proc/loadavg").Trim()}");
Console.WriteLine("children get DOTNET_TC_DelaySingleProcMultiplier=1; start the harness with it too.");

string? cFloor = only.Contains("c") ? CFloor.Build() : null;
var results = new Dictionary<string, List<Result>>(StringComparer.Ordinal);
string[] names = [.. new[] { "c", "floor", "floor-async", "text", "msgpack", "text-poll", "msgpack-poll", "text-pooled", "msgpack-pooled", "contract", "sjr-msgpack", "sjr-nerdbank", "sjr-json" }.Where(only.Contains)];
string[] streamJsonRpcNames = ["sjr-msgpack", "sjr-nerdbank", "sjr-json"];
Console.WriteLine("round | target | rt64 µs (p10–p90) | move µs | 64 in flight calls/s | 64 KiB MB/s | 1 MiB MB/s | cpu µs/call host+child (64 in flight) | ctx sw/call | idle ms/s host/child | B/call echo / move");
for (int round = 1; round <= rounds; round++)
{
    foreach (string name in names)
    {
        Result? result;
        try
        {
            result = name switch
            {
                "c" => cFloor is null ? null : await CFloor.RunAsync(cFloor, settings),
                "floor" or "floor-async" => await OnDedicatedThread(async () =>
                {
                    await using var target = new FloorTarget(settings.GrowPipes, asyncWrites: name == "floor-async");
                    return await Driver.MeasureAsync(target, settings);
                }),
                "contract" => await Task.Run(async () =>
                {
                    await using BenchServiceTarget target = await BenchServiceTarget.StartPluginIpcAsync();
                    return await Driver.MeasureAsync(target, settings);
                }),
                "sjr-msgpack" or "sjr-nerdbank" or "sjr-json" => await Task.Run(async () =>
                {
                    await using BenchServiceTarget target = await BenchServiceTarget.StartStreamJsonRpcAsync(name switch
                    {
                        "sjr-msgpack" => PeerMessageHandlers.MessagePackCSharp,
                        "sjr-nerdbank" => PeerMessageHandlers.NerdbankMessagePack,
                        _ => PeerMessageHandlers.SystemTextJson,
                    });
                    return await Driver.MeasureAsync(target, settings);
                }),
                _ => await Task.Run(async () =>
                {
                    await using PluginIpcTarget target = await PluginIpcTarget.StartAsync(name);
                    return await Driver.MeasureAsync(target, settings);
                }),
            };
        }
        catch (Exception ex)
        {
            // One failing target (a formatter, a child that would not start) does not cost the others' figures; its child is stopped.
            Console.WriteLine($"{round} | {name} | FAILED: {ex}");
            continue;
        }

        if (result is null)
        {
            continue;
        }

        (results.TryGetValue(name, out List<Result>? list) ? list : results[name] = []).Add(result);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{round} | {name} | {result.RoundTripMicroseconds:F2} ({result.RoundTripP10:F2}–{result.RoundTripP90:F2}) | {Show(result.MoveMicroseconds, "F2")} | {result.InFlightCallsPerSecond:F0} | {result.MegabytesPerSecond64KiB:F0} | {result.MegabytesPerSecond1MiB:F0} | {result.HostCpuMicroseconds:F2}+{result.ChildCpuMicroseconds:F2} ({result.InFlightHostCpuMicroseconds:F2}+{result.InFlightChildCpuMicroseconds:F2}) | {result.ContextSwitchesPerCall:F2} | {result.IdleHostMillisecondsPerSecond:F1}/{result.IdleChildMillisecondsPerSecond:F1} | {Show(result.EchoBytesPerCall, "F0")} / {Show(result.MoveBytesPerCall, "F0")}"));
    }
}

Console.WriteLine();
Console.WriteLine("Medians over rounds [min–max]:");
Console.WriteLine("| Target | 64 B round trip µs | move µs | 64 in flight calls/s | 64 KiB MB/s | 1 MiB MB/s | CPU µs/call host + child | CPU µs/call, 64 in flight | ctx switches/call | idle CPU ms/s host / child | B/call echo / move |");
Console.WriteLine("|---|---|---|---|---|---|---|---|---|---|---|");
foreach ((string name, List<Result> list) in results)
{
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
        $"| {name} | {Span(list, r => r.RoundTripMicroseconds, "F2")} | {Span(list, r => r.MoveMicroseconds, "F2")} | {Span(list, r => r.InFlightCallsPerSecond, "F0")} | {Span(list, r => r.MegabytesPerSecond64KiB, "F0")} | {Span(list, r => r.MegabytesPerSecond1MiB, "F0")} | {Med(list, r => r.HostCpuMicroseconds):F2} + {Med(list, r => r.ChildCpuMicroseconds):F2} = {Med(list, r => r.HostCpuMicroseconds + r.ChildCpuMicroseconds):F2} | {Med(list, r => r.InFlightHostCpuMicroseconds + r.InFlightChildCpuMicroseconds):F2} | {Med(list, r => r.ContextSwitchesPerCall):F2} | {Med(list, r => r.IdleHostMillisecondsPerSecond):F1} / {Med(list, r => r.IdleChildMillisecondsPerSecond):F1} | {Show(Med(list, r => r.EchoBytesPerCall), "F0")} / {Show(Med(list, r => r.MoveBytesPerCall), "F0")} |"));
}

if (results.TryGetValue("floor", out List<Result>? floor))
{
    Console.WriteLine();
    Console.WriteLine("Against the .NET floor (medians; goals: round trip <= 1.3x, 1 MiB >= 80%, 64 KiB >= 90%):");
    Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"floor: 1 MiB echoes with {Med(floor, r => r.HostFaultsPerEcho1MiB):F0} host page faults per echo"));
    foreach (string name in new[] { "text", "msgpack", "text-poll", "msgpack-poll", "text-pooled", "msgpack-pooled" }.Where(results.ContainsKey))
    {
        List<Result> list = results[name];
        double roundTrip = Med(list, r => r.RoundTripMicroseconds) / Med(floor, r => r.RoundTripMicroseconds);
        double oneMiB = Med(list, r => r.MegabytesPerSecond1MiB) / Med(floor, r => r.MegabytesPerSecond1MiB);
        double kiB64 = Med(list, r => r.MegabytesPerSecond64KiB) / Med(floor, r => r.MegabytesPerSecond64KiB);
        double inFlight = Med(list, r => r.InFlightCallsPerSecond) / Med(floor, r => r.InFlightCallsPerSecond);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"{name}: round trip {roundTrip:F2}x ({(roundTrip <= 1.3 ? "MET" : "MISSED")}), 1 MiB {oneMiB:P0} ({(oneMiB >= 0.8 ? "MET" : "MISSED")}; host GC paused {Med(list, r => r.HostGcPauseShare1MiB):P0} of it, {Med(list, r => r.HostFaultsPerEcho1MiB):F0} host page faults per echo), 64 KiB {kiB64:P0} ({(kiB64 >= 0.9 ? "MET" : "MISSED")}), 64 in flight {inFlight:F2}x the floor's calls/s"));
    }
}

if (streamJsonRpcNames.Any(results.ContainsKey) && (results.ContainsKey("contract") || results.ContainsKey("msgpack")))
{
    PeerComparison.Write(results, streamJsonRpcNames);
}

Console.WriteLine($"loadavg={File.ReadAllText("/proc/loadavg").Trim()}");
return 0;

static double Med(List<Result> list, Func<Result, double> value) => Driver.Median([.. list.Select(value).Order()]);

static string Show(double value, string format) =>
    double.IsNaN(value) ? "–" : value.ToString(format, CultureInfo.InvariantCulture);

static string Span(List<Result> list, Func<Result, double> value, string format) => double.IsNaN(Med(list, value)) ? "–" :
    string.Create(CultureInfo.InvariantCulture, $"{Med(list, value).ToString(format, CultureInfo.InvariantCulture)} [{list.Min(value).ToString(format, CultureInfo.InvariantCulture)}–{list.Max(value).ToString(format, CultureInfo.InvariantCulture)}]");

static Task<Result> OnDedicatedThread(Func<Task<Result>> work)
{
    var done = new TaskCompletionSource<Result>(TaskCreationOptions.RunContinuationsAsynchronously);
    var thread = new Thread(() =>
    {
        try
        {
            done.SetResult(work().GetAwaiter().GetResult());
        }
        catch (Exception ex)
        {
            done.SetException(ex);
        }
    })
    { IsBackground = true, Name = "floor caller" };
    thread.Start();
    return done.Task;
}
