using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace PluginIpc.Benchmarks;

/// <summary>
/// Real cross-process calls: a <see cref="Plugin"/> against the EchoPlugin sample, started once per benchmark case and
/// stopped after it. Compare with <see cref="FloorBenchmarks"/>, the same scenarios with no library, from the same run.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ProcessConfig))]
public class ProcessBenchmarks
{
    private const int Concurrency = 64;

    private readonly byte[] _small = new byte[64];
    private readonly byte[] _large = new byte[64 * 1024];
    private readonly byte[] _huge = new byte[1024 * 1024];
    private readonly Task<ReadOnlyMemory<byte>>[] _calls = new Task<ReadOnlyMemory<byte>>[Concurrency];
    private Plugin? _plugin;
    private Process? _process;

    /// <summary>Gets or sets the framing under test.</summary>
    [Params("text", "msgpack")]
    public string Framer { get; set; } = "text";

    /// <summary>Gets or sets the streams between host and plugin.</summary>
    [Params(PluginTransport.InheritedPipes, PluginTransport.Stdio)]
    public PluginTransport Transport { get; set; }

    [GlobalSetup]
    public async Task SetupAsync()
    {
        var options = new PluginOptions
        {
            ExecutablePath = ChildProcesses.DotnetPath,
            Framer = Framer,
            Transport = Transport,
            PingInterval = Timeout.InfiniteTimeSpan,
            StartTimeout = TimeSpan.FromSeconds(30),
        };
        options.Arguments.Add("exec");
        options.Arguments.Add(ChildProcesses.Locate("EchoPlugin"));
        _plugin = new Plugin(options);
        try
        {
            await _plugin.StartAsync();
            _process = Process.GetProcessById(_plugin.ProcessId!.Value);
            ChildProcesses.Track(_process);
            ReadOnlyMemory<byte> answer = await _plugin.CallAsync("echo", _huge);
            if (answer.Length != _huge.Length)
            {
                throw new InvalidOperationException($"EchoPlugin answered {answer.Length} bytes to {_huge.Length}.");
            }
        }
        catch
        {
            await CleanupAsync();
            throw;
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_plugin is not null)
        {
            await _plugin.DisposeAsync();
            _plugin = null;
        }

        if (_process is not null)
        {
            ChildProcesses.Kill(_process); // Nothing left if the plugin already stopped.
            _process.Dispose();
            _process = null;
        }
    }

    /// <summary>One 64-byte echo at a time.</summary>
    [Benchmark]
    public async Task<int> RoundTrip64() => (await _plugin!.CallAsync("echo", _small)).Length;

    /// <summary>64 callers with a 64-byte echo each at once; the time is per call, <c>Op/s</c> is calls per second.</summary>
    [Benchmark(OperationsPerInvoke = Concurrency)]
    public async Task Concurrent64()
    {
        for (int i = 0; i < Concurrency; i++)
        {
            _calls[i] = _plugin!.CallAsync("echo", _small);
        }

        await Task.WhenAll(_calls);
    }

    /// <summary>One 64 KiB echo at a time.</summary>
    [Benchmark]
    [PayloadBytes(64 * 1024)]
    public async Task<int> Echo64KiB() => (await _plugin!.CallAsync("echo", _large)).Length;

    /// <summary>One 1 MiB echo at a time.</summary>
    [Benchmark]
    [PayloadBytes(1024 * 1024)]
    public async Task<int> Echo1MiB() => (await _plugin!.CallAsync("echo", _huge)).Length;
}
