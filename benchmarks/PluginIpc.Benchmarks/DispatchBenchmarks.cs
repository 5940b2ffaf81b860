using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;

namespace PluginIpc.Benchmarks;

/// <summary>Round trips and one-way messages between two channels over in-memory duplex pipes: the library's cost with no I/O.</summary>
[MemoryDiagnoser]
public class DispatchBenchmarks
{
    private const int Concurrency = 64;
    private const int OneWayBatch = 1000;
    private const int InARow = 100;

    private readonly byte[] _payload = new byte[64];
    private readonly Task<ReadOnlyMemory<byte>>[] _calls = new Task<ReadOnlyMemory<byte>>[Concurrency];
    private Channel _host = null!;
    private Channel _plugin = null!;
    private int _received;
    private TaskCompletionSource _batchDone = new();

    /// <summary>Gets or sets the framing under test.</summary>
    [Params("text", "msgpack")]
    public string Framer { get; set; } = "text";

    [GlobalSetup]
    public void Setup()
    {
        (IDuplexPipe hostEnd, IDuplexPipe pluginEnd) = InMemoryDuplexPipe.CreatePair();
        _host = new Channel(hostEnd, CreateFramer());
        _plugin = new Channel(pluginEnd, CreateFramer());
        _plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        _plugin.Handle("sink", (_, _, _) =>
        {
            if (++_received == OneWayBatch)
            {
                _batchDone.TrySetResult();
            }

            return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
        });
        _host.Start();
        _plugin.Start();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _host.DisposeAsync();
        await _plugin.DisposeAsync();
    }

    /// <summary>One 64-byte call and its answer, one at a time.</summary>
    [Benchmark(Baseline = true)]
    public async Task<int> RoundTrip() => (await _host.CallAsync("echo", _payload)).Length;

    /// <summary>100 calls awaited one after another, as async code makes calls in a row; the time is per call.</summary>
    /// <remarks>
    /// <see cref="RoundTrip"/> returns to BenchmarkDotNet after each call, and its thread blocks on the call's task, so each
    /// of its round trips also wakes a blocked thread. Here only every hundredth call does.
    /// </remarks>
    [Benchmark(OperationsPerInvoke = InARow)]
    public async Task<int> RoundTripAwaitedInARow()
    {
        int total = 0;
        for (int i = 0; i < InARow; i++)
        {
            total += (await _host.CallAsync("echo", _payload)).Length;
        }

        return total;
    }

    /// <summary>64 callers at once; the time is per call.</summary>
    [Benchmark(OperationsPerInvoke = Concurrency)]
    public async Task ConcurrentCallers64()
    {
        for (int i = 0; i < Concurrency; i++)
        {
            _calls[i] = _host.CallAsync("echo", _payload);
        }

        await Task.WhenAll(_calls);
    }

    /// <summary>One-way 64-byte messages, handled in order; the time is per message.</summary>
    [Benchmark(OperationsPerInvoke = OneWayBatch)]
    public async Task OneWay()
    {
        _received = 0;
        _batchDone = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        for (int i = 0; i < OneWayBatch; i++)
        {
            await _host.NotifyAsync("sink", _payload);
        }

        await _batchDone.Task;
    }

    private IChunkFramer CreateFramer() => Framer == "text" ? new NullTerminatedFramer() : new MessagePackFramer();
}
