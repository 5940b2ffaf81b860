using System.Collections.Concurrent;
using System.Runtime.InteropServices;

namespace PluginIpc.Tests.Channel;

/// <summary>Large buffers arriving over streams are read straight into their own array, not through the pipe reader and a copy.</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class DirectBufferReaderTests(string framer)
{
    private static readonly ChunkHandler s_echo = static (chunk, _, _) => ValueTask.FromResult(chunk.Buffer);

    private static byte[] RandomBytes(int length)
    {
        var bytes = new byte[length];
        new Random(length).NextBytes(bytes);
        return bytes;
    }

    private static byte[] ArrayOf(ReadOnlyMemory<byte> memory) =>
        MemoryMarshal.TryGetArray(memory, out ArraySegment<byte> segment) ? segment.Array! : throw new AssertionException("The buffer is not an array.");

    /// <summary>A host channel whose input records the arrays it is asked to read into, and a plugin channel that echoes.</summary>
    private (PluginIpc.Channel Host, PluginIpc.Channel Plugin, RecordingReadStream HostInput, RecordingReadStream PluginInput) CreatePair()
    {
        var (hostInput, hostOutput, pluginInput, pluginOutput) = TestPipes.CreateOsPipes();
        var recordingHostInput = new RecordingReadStream(hostInput);
        var recordingPluginInput = new RecordingReadStream(pluginInput);
        var host = new PluginIpc.Channel(recordingHostInput, hostOutput, Framers.Create(framer), new ChannelOptions { Name = "host" });
        var plugin = new PluginIpc.Channel(recordingPluginInput, pluginOutput, Framers.Create(framer), new ChannelOptions { Name = "plugin" });
        plugin.Handle("echo", s_echo);
        plugin.Handle("headers", static (chunk, _, _) => ValueTask.FromResult<ReadOnlyMemory<byte>>(System.Text.Encoding.UTF8.GetBytes(chunk.Headers?["traceparent"] ?? "none")));
        host.Start();
        plugin.Start();
        return (host, plugin, recordingHostInput, recordingPluginInput);
    }

    [TestCase(200 * 1024)] // the first read takes at most 64 KiB of it
    [TestCase(DirectBufferReader.MaxBufferBytes)]
    public async Task Answer_LargeBuffer_IsReadStraightIntoTheChunksOwnArray(int length, CancellationToken cancellationToken)
    {
        var (host, plugin, hostInput, _) = CreatePair();
        await using (host)
        await using (plugin)
        {
            byte[] payload = RandomBytes(length);
            hostInput.Clear();

            ReadOnlyMemory<byte> echoed = await host.CallAsync("echo", payload, cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);

            Assert.That(echoed.Span.SequenceEqual(payload), Is.True);
            Assert.That(hostInput.ArraysReadInto, Does.Contain(ArrayOf(echoed)), "the rest of the buffer was read into the answer's array");
        }
    }

    [Test]
    public async Task Answer_OverTheDirectReadLimit_IsReadThroughThePipeAndCopied(CancellationToken cancellationToken)
    {
        var (host, plugin, hostInput, _) = CreatePair();
        await using (host)
        await using (plugin)
        {
            byte[] payload = RandomBytes(DirectBufferReader.MaxBufferBytes + 1);
            hostInput.Clear();

            ReadOnlyMemory<byte> echoed = await host.CallAsync("echo", payload, cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);

            Assert.That(echoed.Span.SequenceEqual(payload), Is.True);
            Assert.That(hostInput.ArraysReadInto, Does.Not.Contain(ArrayOf(echoed)));
        }
    }

    [Test]
    public async Task Request_LargeBufferWithHeaders_ArrivesWholeWithItsHeaders(CancellationToken cancellationToken)
    {
        // MessagePack puts headers after the buffer, so such a chunk is read whole through the pipe; text drops headers.
        var (host, plugin, _, pluginInput) = CreatePair();
        await using (host)
        await using (plugin)
        {
            var request = new Chunk { Cmd = "headers", Buffer = RandomBytes(512 * 1024), Headers = new Dictionary<string, string> { ["traceparent"] = "00-abc" } };

            Chunk answer = await host.CallAsync(request, cancellationToken).WaitAsync(TimeSpan.FromSeconds(10), cancellationToken);

            Assert.That(System.Text.Encoding.UTF8.GetString(answer.Buffer.Span), Is.EqualTo(framer == "msgpack" ? "00-abc" : "none"));
            Assert.That(pluginInput.LargestRead, framer == "msgpack" ? Is.LessThanOrEqualTo(64 * 1024) : Is.GreaterThan(256 * 1024));
        }
    }

    /// <summary>Passes reads through to a stream, and records the arrays they read into and the largest read asked for.</summary>
    private sealed class RecordingReadStream(Stream inner) : Stream
    {
        private readonly ConcurrentQueue<byte[]> _arrays = new();
        private int _largestRead;

        public IReadOnlyCollection<byte[]> ArraysReadInto => _arrays;

        public int LargestRead => Volatile.Read(ref _largestRead);

        public override bool CanRead => true;

        public override bool CanSeek => false;

        public override bool CanWrite => false;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public void Clear()
        {
            _arrays.Clear();
            Volatile.Write(ref _largestRead, 0);
        }

        public override ValueTask<int> ReadAsync(Memory<byte> buffer, CancellationToken cancellationToken = default)
        {
            if (MemoryMarshal.TryGetArray((ReadOnlyMemory<byte>)buffer, out ArraySegment<byte> segment))
            {
                _arrays.Enqueue(segment.Array!);
            }

            int largest;
            while (buffer.Length > (largest = Volatile.Read(ref _largestRead)) && Interlocked.CompareExchange(ref _largestRead, buffer.Length, largest) != largest)
            {
            }

            return inner.ReadAsync(buffer, cancellationToken);
        }

        public override Task<int> ReadAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
            ReadAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException("The channel reads asynchronously.");

        public override void Flush()
        {
        }

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                inner.Dispose();
            }

            base.Dispose(disposing);
        }
    }
}
