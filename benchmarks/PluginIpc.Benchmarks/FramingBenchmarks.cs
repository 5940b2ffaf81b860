using System.Buffers;
using BenchmarkDotNet.Attributes;

namespace PluginIpc.Benchmarks;

/// <summary>Writes and reads one chunk with each framer, for a range of buffer sizes.</summary>
[MemoryDiagnoser]
public class FramingBenchmarks
{
    private IChunkFramer _framer = null!;
    private Chunk _chunk = null!;
    private ArrayBufferWriter<byte> _writer = null!;
    private ReadOnlySequence<byte> _encoded;

    [Params("text", "msgpack")]
    public string Framer { get; set; } = "text";

    [Params(0, 64, 4096, 65536)]
    public int BufferSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _framer = Framer switch
        {
            "text" => new NullTerminatedFramer(),
            "msgpack" => new MessagePackFramer(),
            _ => throw new InvalidOperationException($"Unknown framer '{Framer}'."),
        };

        byte[] buffer = new byte[BufferSize];
        new Random(42).NextBytes(buffer);
        _chunk = new Chunk { ThreadId = 123_456_789, Direction = Direction.Request, Cmd = "echo", Buffer = buffer };

        _writer = new ArrayBufferWriter<byte>(BufferSize + 256);
        _framer.Write(_chunk, _writer);
        _encoded = new ReadOnlySequence<byte>(_writer.WrittenMemory.ToArray());
        _writer.ResetWrittenCount();
    }

    [Benchmark]
    public int Write()
    {
        _writer.ResetWrittenCount();
        _framer.Write(_chunk, _writer);
        return _writer.WrittenCount;
    }

    [Benchmark]
    public Chunk? TryRead()
    {
        ReadOnlySequence<byte> input = _encoded;
        _framer.TryRead(ref input, out Chunk? chunk);
        return chunk;
    }
}
