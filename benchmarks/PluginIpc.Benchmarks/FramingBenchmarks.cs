using System.Buffers;
using BenchmarkDotNet.Attributes;

namespace PluginIpc.Benchmarks;

/// <summary>The framers alone: one chunk written into a reused buffer, and one chunk read from a pre-encoded single-segment sequence.</summary>
[MemoryDiagnoser]
public class FramingBenchmarks
{
    private readonly ArrayBufferWriter<byte> _output = new(128 * 1024);
    private IChunkFramer _framer = null!;
    private Chunk _chunk = null!;
    private ReadOnlySequence<byte> _encoded;

    /// <summary>Gets or sets the framing under test.</summary>
    [Params("text", "msgpack")]
    public string Framer { get; set; } = "text";

    /// <summary>Gets or sets the size of the chunk's buffer in bytes.</summary>
    [Params(0, 64, 4096, 65536)]
    public int BufferSize { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        _framer = Framer == "text" ? new NullTerminatedFramer() : new MessagePackFramer();
        var payload = new byte[BufferSize];
        new Random(42).NextBytes(payload);
        _chunk = new Chunk { ThreadId = 123_456, Direction = Direction.Request, Cmd = "echo", Buffer = payload };
        var encoded = new ArrayBufferWriter<byte>();
        _framer.Write(_chunk, encoded);
        _encoded = new ReadOnlySequence<byte>(encoded.WrittenMemory);
    }

    /// <summary>Frames one chunk into a buffer that is cleared and reused.</summary>
    [Benchmark]
    public int Write()
    {
        _output.ResetWrittenCount();
        _framer.Write(_chunk, _output);
        return _output.WrittenCount;
    }

    /// <summary>Reads one whole chunk; the chunk and a copy of its buffer are allocated by design (a chunk never points into pipe memory).</summary>
    [Benchmark]
    public Chunk? TryRead()
    {
        ReadOnlySequence<byte> input = _encoded;
        _framer.TryRead(ref input, out Chunk? chunk);
        return chunk;
    }
}
