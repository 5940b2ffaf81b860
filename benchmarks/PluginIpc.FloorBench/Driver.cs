using System.Diagnostics;

namespace PluginIpc.FloorBench;

/// <summary>
/// Runs the phases against one target: warm-up by time, sequential samples, sequential typed moves (targets that make
/// them), 64 in flight, echoes, idle. The host's allocated bytes per call are counted over the sequential echo and move phases.
/// </summary>
internal static class Driver
{
    public static async Task<Result> MeasureAsync(IEchoTarget target, Settings settings)
    {
        long warmUp = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warmUp).TotalSeconds < settings.WarmUpSeconds)
        {
            await target.RoundTripsAsync(1000);
            if (settings.SequentialOnly && settings.SmallWarmUp)
            {
                continue; // no large echo: no write ever waits, so the runtime never registers the pipes with its epoll thread
            }

            await target.InFlightAsync(20);
            await target.EchoAsync(64 * 1024, 5);
            await target.EchoAsync(1024 * 1024, 1);
            await target.MovesAsync(1000);
        }

        int host = Environment.ProcessId, child = target.ChildProcessId;
        ((double User, double System) host, (double User, double System) child) split0 = (ProcStat.UserAndSystemSeconds(host), ProcStat.UserAndSystemSeconds(child));
        if (settings.EchoOnlyBytes > 0)
        {
            return await EchoOnlyAsync(target, settings, host, child, split0);
        }

        if (settings.InFlightOnly)
        {
            return await InFlightOnlyAsync(target, settings, host, child, split0);
        }

        double[] samples = new double[settings.SequentialSamples];
        (double host0, double child0, long switches0) = (ProcStat.CpuSeconds(host), ProcStat.CpuSeconds(child), ProcStat.ContextSwitches(host) + ProcStat.ContextSwitches(child));
        long allocated0 = GC.GetTotalAllocatedBytes(precise: true); // after reading /proc, which allocates
        for (int i = 0; i < samples.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await target.RoundTripsAsync(settings.CallsPerSample);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / settings.CallsPerSample;
        }

        long allocated1 = GC.GetTotalAllocatedBytes(precise: true);
        (double host1, double child1, long switches1) = (ProcStat.CpuSeconds(host), ProcStat.CpuSeconds(child), ProcStat.ContextSwitches(host) + ProcStat.ContextSwitches(child));
        double calls = (double)settings.SequentialSamples * settings.CallsPerSample;
        double echoBytes = (allocated1 - allocated0) / calls;
        if (settings.SequentialOnly)
        {
            // For profilers: the sequential phase alone, with its user/system split per process.
            ((double User, double System) host, (double User, double System) child) split1 = (ProcStat.UserAndSystemSeconds(host), ProcStat.UserAndSystemSeconds(child));
            Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
                $"sequential only: {calls} calls, median {Median([.. samples.Order()]):F2} µs; µs/call host user {(split1.host.User - split0.host.User) * 1e6 / calls:F2} sys {(split1.host.System - split0.host.System) * 1e6 / calls:F2}, child user {(split1.child.User - split0.child.User) * 1e6 / calls:F2} sys {(split1.child.System - split0.child.System) * 1e6 / calls:F2}; ctx switches/call {(switches1 - switches0) / calls:F2}; child pid {child}"));
            return new Result(Median([.. samples.Order()]), 0, 0, 0, 0, 0, (host1 - host0) * 1e6 / calls, (child1 - child0) * 1e6 / calls, 0, 0, (switches1 - switches0) / calls, 0, 0, EchoBytesPerCall: echoBytes);
        }

        Array.Sort(samples);
        double roundTrip = Median(samples), p10 = samples[samples.Length / 10], p90 = samples[samples.Length * 9 / 10];
        (double move, double moveBytes) = target.CanMove ? await MoveAsync(target, settings) : (double.NaN, double.NaN);

        double[] rates = new double[settings.InFlightSamples];
        (double inFlightHost0, double inFlightChild0) = (ProcStat.CpuSeconds(host), ProcStat.CpuSeconds(child));
        for (int i = 0; i < rates.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await target.InFlightAsync(settings.BatchesPerSample);
            rates[i] = 64.0 * settings.BatchesPerSample / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        (double inFlightHost1, double inFlightChild1) = (ProcStat.CpuSeconds(host), ProcStat.CpuSeconds(child));
        double inFlightCalls = 64.0 * settings.InFlightSamples * settings.BatchesPerSample;
        (double megabytes64KiB, _, _) = await EchoRateAsync(target, 64 * 1024, settings.Echo64KiBSamples, settings.Echo64KiBPerSample, settings.EchoWarmUpSeconds);
        (double megabytes1MiB, double gcPause1MiB, double faults1MiB) = await EchoRateAsync(target, 1024 * 1024, settings.Echo1MiBSamples, settings.Echo1MiBPerSample, settings.EchoWarmUpSeconds);

        await Task.Delay(TimeSpan.FromSeconds(1)); // let timers and background compilation settle before the idle window
        (double idleHost0, double idleChild0) = (ProcStat.CpuSeconds(host), ProcStat.CpuSeconds(child));
        await Task.Delay(TimeSpan.FromSeconds(settings.IdleSeconds));
        (double idleHost1, double idleChild1) = (ProcStat.CpuSeconds(host), ProcStat.CpuSeconds(child));

        Array.Sort(rates);
        return new Result(
            roundTrip,
            p10,
            p90,
            Median(rates),
            megabytes64KiB,
            megabytes1MiB,
            (host1 - host0) * 1e6 / calls,
            (child1 - child0) * 1e6 / calls,
            (inFlightHost1 - inFlightHost0) * 1e6 / inFlightCalls,
            (inFlightChild1 - inFlightChild0) * 1e6 / inFlightCalls,
            (switches1 - switches0) / calls,
            (idleHost1 - idleHost0) * 1e3 / settings.IdleSeconds,
            (idleChild1 - idleChild0) * 1e3 / settings.IdleSeconds,
            move,
            echoBytes,
            moveBytes,
            gcPause1MiB,
            faults1MiB);
    }

    /// <summary>Returns the median of <paramref name="sorted"/>, which is sorted.</summary>
    public static double Median(IReadOnlyList<double> sorted) =>
        sorted.Count % 2 == 1 ? sorted[sorted.Count / 2] : (sorted[(sorted.Count / 2) - 1] + sorted[sorted.Count / 2]) / 2;

    /// <summary>For profilers: echoes of one size alone for the samples' count of seconds, with the user/system split per process.</summary>
    private static async Task<Result> EchoOnlyAsync(IEchoTarget target, Settings settings, int host, int child, ((double User, double System) Host, (double User, double System) Child) split0)
    {
        int size = settings.EchoOnlyBytes;
        int perSample = Math.Max(1, (1024 * 1024) / size);
        double[] rates = new double[settings.SequentialSamples];
        long echoes = 0;
        for (int i = 0; i < rates.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await target.EchoAsync(size, perSample);
            rates[i] = (double)size * perSample / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e6;
            echoes += perSample;
        }

        ((double User, double System) host, (double User, double System) child) split1 = (ProcStat.UserAndSystemSeconds(host), ProcStat.UserAndSystemSeconds(child));
        Array.Sort(rates);
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"echo only: {echoes} echoes of {size} B, median {Median(rates):F0} MB/s; µs/echo host user {(split1.host.User - split0.Host.User) * 1e6 / echoes:F2} sys {(split1.host.System - split0.Host.System) * 1e6 / echoes:F2}, child user {(split1.child.User - split0.Child.User) * 1e6 / echoes:F2} sys {(split1.child.System - split0.Child.System) * 1e6 / echoes:F2}; child pid {child}"));
        return new Result(0, 0, 0, 0, size == 64 * 1024 ? Median(rates) : 0, size == 1024 * 1024 ? Median(rates) : 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /// <summary>For profilers: 64 calls in flight alone, for the samples' count of batches of 64, with the user/system split per process.</summary>
    private static async Task<Result> InFlightOnlyAsync(IEchoTarget target, Settings settings, int host, int child, ((double User, double System) Host, (double User, double System) Child) split0)
    {
        double[] rates = new double[settings.SequentialSamples];
        for (int i = 0; i < rates.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await target.InFlightAsync(settings.BatchesPerSample);
            rates[i] = 64.0 * settings.BatchesPerSample / Stopwatch.GetElapsedTime(start).TotalSeconds;
        }

        ((double User, double System) host, (double User, double System) child) split1 = (ProcStat.UserAndSystemSeconds(host), ProcStat.UserAndSystemSeconds(child));
        double calls = 64.0 * settings.BatchesPerSample * rates.Length;
        Array.Sort(rates);
        Console.WriteLine(string.Create(System.Globalization.CultureInfo.InvariantCulture,
            $"in flight only: {calls} calls, median {Median(rates):F0} calls/s; µs/call host user {(split1.host.User - split0.Host.User) * 1e6 / calls:F3} sys {(split1.host.System - split0.Host.System) * 1e6 / calls:F3}, child user {(split1.child.User - split0.Child.User) * 1e6 / calls:F3} sys {(split1.child.System - split0.Child.System) * 1e6 / calls:F3}; child pid {child}"));
        return new Result(0, 0, 0, Median(rates), 0, 0, 0, 0, 0, 0, 0, 0, 0);
    }

    /// <summary>The sequential typed moves, sampled as the 64 B echoes are: the median µs per move, and the host's allocated bytes per move.</summary>
    private static async Task<(double Microseconds, double BytesPerCall)> MoveAsync(IEchoTarget target, Settings settings)
    {
        double[] samples = new double[settings.SequentialSamples];
        long allocated0 = GC.GetTotalAllocatedBytes(precise: true);
        for (int i = 0; i < samples.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await target.MovesAsync(settings.CallsPerSample);
            samples[i] = Stopwatch.GetElapsedTime(start).TotalMicroseconds / settings.CallsPerSample;
        }

        long allocated1 = GC.GetTotalAllocatedBytes(precise: true);
        Array.Sort(samples);
        return (Median(samples), (allocated1 - allocated0) / ((double)settings.SequentialSamples * settings.CallsPerSample));
    }

    /// <returns>The median MB/s, the share of the samples' time the host's garbage collector paused its threads, and the host's minor page faults per echo.</returns>
    private static async Task<(double MegabytesPerSecond, double HostGcPauseShare, double HostFaultsPerEcho)> EchoRateAsync(IEchoTarget target, int size, int sampleCount, int perSample, double warmUpSeconds)
    {
        // The warm-up loop makes few large echoes: their path would still be compiling (tiering up) during the samples.
        long warmUp = Stopwatch.GetTimestamp();
        while (Stopwatch.GetElapsedTime(warmUp).TotalSeconds < warmUpSeconds)
        {
            await target.EchoAsync(size, 1);
        }

        double[] rates = new double[sampleCount];
        TimeSpan paused0 = GC.GetTotalPauseDuration();
        long faults0 = ProcStat.MinorFaults(Environment.ProcessId);
        long began = Stopwatch.GetTimestamp();
        for (int i = 0; i < rates.Length; i++)
        {
            long start = Stopwatch.GetTimestamp();
            await target.EchoAsync(size, perSample);
            rates[i] = (double)size * perSample / Stopwatch.GetElapsedTime(start).TotalSeconds / 1e6;
        }

        double pauseShare = (GC.GetTotalPauseDuration() - paused0) / Stopwatch.GetElapsedTime(began);
        double faultsPerEcho = (ProcStat.MinorFaults(Environment.ProcessId) - faults0) / (double)(sampleCount * perSample);
        Array.Sort(rates);
        return (Median(rates), pauseShare, faultsPerEcho);
    }
}
