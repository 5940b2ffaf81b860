using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;

namespace PluginIpc.Benchmarks;

/// <summary>
/// What the typed layer adds to a call: a typed round trip (a small record in and out, through the channel's serializer)
/// and a contract call (a generated proxy and dispatcher) beside the byte round trip they wrap, over in-memory pipes, awaited in a row.
/// </summary>
[MemoryDiagnoser]
[MedianColumn]
public class TypedCallBenchmarks
{
    private const int InARow = 100;

    private readonly byte[] _payload = new byte[16];
    private readonly MovePoint _point = new(3, 4);
    private Channel _host = null!;
    private Channel _plugin = null!;
    private IBenchService _proxy = null!;

    /// <summary>Gets or sets the serializer under test: <c>msgpack</c> (the default) or <c>json</c> (with a source-generated context).</summary>
    [Params("msgpack", "json")]
    public string Serializer { get; set; } = "msgpack";

    [GlobalSetup]
    public void Setup()
    {
        (IDuplexPipe hostEnd, IDuplexPipe pluginEnd) = InMemoryDuplexPipe.CreatePair();
        IPluginSerializer? serializer = Serializer == "json" ? new JsonPluginSerializer(BenchmarkJsonContext.Default) : null;
        _host = new Channel(hostEnd, new MessagePackFramer(), new ChannelOptions { Serializer = serializer });
        _plugin = new Channel(pluginEnd, new MessagePackFramer(), new ChannelOptions { Serializer = serializer });
        _plugin.Handle("echo", static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer));
        _plugin.Handle<MovePoint, MovePoint>("move", static (point, _) => ValueTask.FromResult(new MovePoint(point.X + 1, point.Y + 1)));
        _plugin.AddTarget<IBenchService>(new BenchService());
        _proxy = _host.GetProxy<IBenchService>();
        _host.Start();
        _plugin.Start();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _host.DisposeAsync();
        await _plugin.DisposeAsync();
    }

    /// <summary>The byte call a typed call wraps: 16 bytes, about the size of the serialized point; the time is per call.</summary>
    [Benchmark(Baseline = true, OperationsPerInvoke = InARow)]
    public async Task<int> BytesInARow()
    {
        int total = 0;
        for (int i = 0; i < InARow; i++)
        {
            total += (await _host.CallAsync("echo", _payload)).Length;
        }

        return total;
    }

    /// <summary>A typed call with a small record in and out; the time is per call.</summary>
    [Benchmark(OperationsPerInvoke = InARow)]
    public async Task<int> TypedInARow()
    {
        int total = 0;
        for (int i = 0; i < InARow; i++)
        {
            total += (await _host.CallAsync<MovePoint, MovePoint>("move", _point)).X;
        }

        return total;
    }

    /// <summary>The same move through a generated contract proxy and dispatcher: three arguments in, a record out; the time is per call.</summary>
    [Benchmark(OperationsPerInvoke = InARow)]
    public async Task<int> ContractInARow()
    {
        int total = 0;
        for (int i = 0; i < InARow; i++)
        {
            total += (await _proxy.MoveAsync(_point, 1, 1)).X;
        }

        return total;
    }
}
