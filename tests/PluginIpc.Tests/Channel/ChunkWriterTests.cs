using System.IO.Pipelines;

namespace PluginIpc.Tests.Channel;

public sealed class ChunkWriterTests
{
    [Test, CancelAfter(20_000)]
    public async Task WriteAsync_ReaderSlowerThanWriters_WaitsForRoomAndLosesNothing(CancellationToken cancellationToken)
    {
        // A small pipe makes the flusher wait on the reader, so concurrent writers pile up past the pending-bytes cap.
        var pipe = new Pipe(new PipeOptions(pauseWriterThreshold: 64 * 1024, resumeWriterThreshold: 32 * 1024));
        var framer = new NullTerminatedFramer();
        var writer = new ChunkWriter(pipe.Writer, framer, _ => { });
        const int Writers = 40;
        byte[] body = new byte[256 * 1024];

        Task[] writes = Enumerable.Range(0, Writers)
            .Select(i => Task.Run(async () => await writer.WriteAsync(new OutgoingChunk((ulong)i, Direction.OneWay, "big", body)), cancellationToken))
            .ToArray();
        var seen = new HashSet<ulong>();
        while (seen.Count < Writers)
        {
            ReadResult result = await pipe.Reader.ReadAsync(cancellationToken);
            System.Buffers.ReadOnlySequence<byte> buffer = result.Buffer;
            while (framer.TryRead(ref buffer, out Chunk? chunk))
            {
                Assert.That(chunk!.Buffer.Length, Is.EqualTo(body.Length));
                Assert.That(seen.Add(chunk.ThreadId), Is.True, "each chunk arrives once, whole");
            }

            pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
        }

        await Task.WhenAll(writes).WaitAsync(cancellationToken);
        Assert.That(seen, Has.Count.EqualTo(Writers));
    }

    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_AfterComplete_ThrowsChannelClosed(CancellationToken cancellationToken)
    {
        var pipe = new Pipe();
        var writer = new ChunkWriter(pipe.Writer, new NullTerminatedFramer(), _ => { });

        await writer.CompleteAsync(null);

        Assert.That(async () => await writer.WriteAsync(new OutgoingChunk(0, Direction.OneWay, "x")), Throws.InstanceOf<ChannelClosedException>());
        ReadResult end = await pipe.Reader.ReadAsync(cancellationToken);
        Assert.That(end.IsCompleted, Is.True);
    }

    [Test, CancelAfter(10_000)]
    public async Task Cork_WritesOnThisThreadWaitForUncork_ThenGoOutInOneWrite(CancellationToken cancellationToken)
    {
        var output = new RecordingStream();
        var framer = new NullTerminatedFramer();
        var writer = new ChunkWriter(output, framer, _ => { });

        writer.Cork();
        for (int i = 0; i < 3; i++)
        {
            ValueTask write = writer.WriteAsync(new OutgoingChunk((ulong)i, Direction.OneWay, "corked"));
            Assert.That(write.IsCompletedSuccessfully, Is.True, "a corked write completes at once");
            await write;
        }

        Assert.That(output.Writes, Is.Empty, "nothing goes out while corked");
        writer.Uncork();
        await writer.CompleteAsync(null).AsTask().WaitAsync(cancellationToken);

        Assert.That(output.Writes, Has.Count.EqualTo(1), "the three chunks go out in one write");
        var bytes = new System.Buffers.ReadOnlySequence<byte>(output.Writes[0]);
        for (ulong expected = 0; expected < 3; expected++)
        {
            Assert.That(framer.TryRead(ref bytes, out Chunk? chunk), Is.True);
            Assert.That(chunk!.ThreadId, Is.EqualTo(expected));
        }
    }

    [Test, CancelAfter(10_000)]
    public async Task CompleteAsync_WhileCorked_WritesTheCorkedChunksBeforeTheEnd(CancellationToken cancellationToken)
    {
        var pipe = new Pipe();
        var framer = new NullTerminatedFramer();
        var writer = new ChunkWriter(pipe.Writer, framer, _ => { });

        writer.Cork();
        await writer.WriteAsync(new OutgoingChunk(7, Direction.Response, "last"));
        await writer.CompleteAsync(null).AsTask().WaitAsync(cancellationToken);

        ReadResult result = await pipe.Reader.ReadAsync(cancellationToken);
        System.Buffers.ReadOnlySequence<byte> buffer = result.Buffer;
        Assert.That(framer.TryRead(ref buffer, out Chunk? chunk), Is.True, "the corked chunk was not lost");
        Assert.That(chunk!.ThreadId, Is.EqualTo(7UL));
        pipe.Reader.AdvanceTo(buffer.Start, buffer.End);
        Assert.That((await pipe.Reader.ReadAsync(cancellationToken)).IsCompleted, Is.True);
    }

    [Test, CancelAfter(10_000)]
    public async Task Cork_OtherThreadsWritesAreNotHeldBack(CancellationToken cancellationToken)
    {
        var output = new RecordingStream();
        var writer = new ChunkWriter(output, new NullTerminatedFramer(), _ => { });

        writer.Cork();
        await Task.Run(async () => await writer.WriteAsync(new OutgoingChunk(0, Direction.OneWay, "other")), cancellationToken);

        Assert.That(output.Writes, Has.Count.EqualTo(1), "a write from another thread goes out at once");
        writer.Uncork();
    }

    [Test]
    public void WriteAsync_LoneWriter_WritesAtOnceWithoutQueuing()
    {
        var output = new RecordingStream();
        var queued = new Queue<Action>();
        var writer = new ChunkWriter(output, new NullTerminatedFramer(), _ => { }) { QueueFlush = (flush, w) => queued.Enqueue(() => flush(w)) };

        ValueTask write = writer.WriteAsync(OneWay(1), mayWait: false);

        Assert.That(write.IsCompletedSuccessfully, Is.True);
        Assert.That(output.Writes, Has.Count.EqualTo(1));
        Assert.That(queued, Is.Empty);
    }

    [Test]
    public void WriteAsync_MayWait_OneQueuedFlushWritesTheChunksWrittenMeanwhileInOneWrite()
    {
        var output = new RecordingStream();
        var queued = new Queue<Action>();
        var framer = new NullTerminatedFramer();
        var writer = new ChunkWriter(output, framer, _ => { }) { QueueFlush = (flush, w) => queued.Enqueue(() => flush(w)) };

        for (ulong i = 0; i < 5; i++)
        {
            ValueTask write = writer.WriteAsync(OneWay(i), mayWait: true);
            Assert.That(write.IsCompletedSuccessfully, Is.True, "the writer does not wait for the queued flush");
        }

        Assert.That(output.Writes, Is.Empty, "nothing goes out before the queued flush runs");
        Assert.That(queued, Has.Count.EqualTo(1), "one flush is queued for all five");
        queued.Dequeue()();

        Assert.That(output.Writes, Has.Count.EqualTo(1));
        AssertChunks(framer, output.Writes[0], 0, 1, 2, 3, 4);
    }

    [Test]
    public async Task WriteAsync_LoneWriterAfterAQueuedFlush_TakesItOverAndWritesEverythingAtOnce()
    {
        var output = new RecordingStream();
        var queued = new Queue<Action>();
        var framer = new NullTerminatedFramer();
        var writer = new ChunkWriter(output, framer, _ => { }) { QueueFlush = (flush, w) => queued.Enqueue(() => flush(w)) };

        await writer.WriteAsync(OneWay(0), mayWait: true);
        ValueTask lone = writer.WriteAsync(OneWay(1), mayWait: false);

        Assert.That(lone.IsCompletedSuccessfully, Is.True);
        Assert.That(output.Writes, Has.Count.EqualTo(1), "the lone writer does not wait for the thread pool");
        AssertChunks(framer, output.Writes[0], 0, 1);
        queued.Dequeue()();
        Assert.That(output.Writes, Has.Count.EqualTo(1), "the queued flush, taken over, writes nothing more");
    }

    [Test]
    public async Task WriteAsync_LargeChunkWhileAFlushIsQueued_TakesItOverAndWritesAtOnce()
    {
        var output = new RecordingStream();
        var queued = new Queue<Action>();
        var writer = new ChunkWriter(output, new NullTerminatedFramer(), _ => { }) { QueueFlush = (flush, w) => queued.Enqueue(() => flush(w)) };

        await writer.WriteAsync(OneWay(0), mayWait: true);
        ValueTask large = writer.WriteAsync(new OutgoingChunk(1, Direction.OneWay, "big", new byte[64 * 1024]), mayWait: true);

        Assert.That(large.IsCompletedSuccessfully, Is.True);
        Assert.That(output.Writes.Sum(w => w.Length), Is.GreaterThan(64 * 1024), "64 KiB pending never wait for the thread pool");
    }

    [Test, CancelAfter(10_000)]
    public async Task CompleteAsync_WithAQueuedFlush_WritesThePendingChunksWithoutWaitingForIt(CancellationToken cancellationToken)
    {
        var output = new RecordingStream();
        var queued = new Queue<Action>();
        var framer = new NullTerminatedFramer();
        var writer = new ChunkWriter(output, framer, _ => { }) { QueueFlush = (flush, w) => queued.Enqueue(() => flush(w)) };
        await writer.WriteAsync(OneWay(0), mayWait: true);
        await writer.WriteAsync(OneWay(1), mayWait: true);

        await writer.CompleteAsync(null).AsTask().WaitAsync(TimeSpan.FromSeconds(0.5), cancellationToken);

        Assert.That(output.Writes, Has.Count.EqualTo(1));
        AssertChunks(framer, output.Writes[0], 0, 1);
        queued.Dequeue()();
        Assert.That(output.Writes, Has.Count.EqualTo(1));
    }

    [Test]
    public async Task WriteAsync_LargeChunkAfterASmallOne_BothGoOutInOneWrite(
        [ValueSource(typeof(Framers), nameof(Framers.Names))] string framerName,
        [Values(4 * 1024, 64 * 1024, 1024 * 1024)] int bufferLength,
        [Values(100, 14 * 1024)] int smallLength)
    {
        // On a pipe each write() may wake the reader: a chunk split over several writes costs a context switch per piece.
        // 14 KiB before it leaves less than 4 KiB in the write buffer's first segment, so even the 4 KiB chunk must move.
        var output = new RecordingStream();
        IChunkFramer framer = Framers.Create(framerName);
        var writer = new ChunkWriter(output, framer, _ => { });
        byte[] body = Patterned(bufferLength);

        writer.Cork();
        await writer.WriteAsync(new OutgoingChunk(1, Direction.OneWay, "small", new byte[smallLength]));
        await writer.WriteAsync(new OutgoingChunk(2, Direction.Response, "large", body));
        writer.Uncork(); // Corked past 64 KiB, the writes already went out.

        Assert.That(output.Writes, Has.Count.EqualTo(1), "the small chunk and the large one go out in one write");
        var bytes = new System.Buffers.ReadOnlySequence<byte>(output.Writes[0]);
        Assert.That(framer.TryRead(ref bytes, out Chunk? small), Is.True);
        Assert.That(small!.Buffer.Length, Is.EqualTo(smallLength));
        Assert.That(framer.TryRead(ref bytes, out Chunk? large), Is.True);
        Assert.That(large!.ThreadId, Is.EqualTo(2UL));
        Assert.That(large.Buffer.Span.SequenceEqual(body), Is.True, "the large chunk's buffer arrives intact");
        Assert.That(bytes.IsEmpty, Is.True);
    }

    [Test]
    public async Task WriteAsync_ChunkOverTheContiguousLimit_IsWrittenInSeveralWritesAndArrivesIntact(
        [ValueSource(typeof(Framers), nameof(Framers.Names))] string framerName)
    {
        var output = new RecordingStream();
        IChunkFramer framer = Framers.Create(framerName);
        var writer = new ChunkWriter(output, framer, _ => { });
        byte[] body = Patterned((1024 * 1024) + 1);

        await writer.WriteAsync(new OutgoingChunk(3, Direction.Request, "huge", body));

        Assert.That(output.Writes, Has.Count.GreaterThan(1), "a chunk over 1 MiB is not copied into one array");
        var bytes = new System.Buffers.ReadOnlySequence<byte>(output.Writes.SelectMany(w => w).ToArray());
        Assert.That(framer.TryRead(ref bytes, out Chunk? chunk), Is.True);
        Assert.That(chunk!.Buffer.Span.SequenceEqual(body), Is.True);
        Assert.That(bytes.IsEmpty, Is.True);
    }

    private static byte[] Patterned(int length)
    {
        byte[] bytes = new byte[length];
        for (int i = 0; i < bytes.Length; i++)
        {
            bytes[i] = (byte)(i * 7);
        }

        return bytes;
    }

    private static OutgoingChunk OneWay(ulong threadId) => new(threadId, Direction.OneWay, "m");

    private static void AssertChunks(NullTerminatedFramer framer, byte[] written, params ulong[] threadIds)
    {
        var bytes = new System.Buffers.ReadOnlySequence<byte>(written);
        foreach (ulong expected in threadIds)
        {
            Assert.That(framer.TryRead(ref bytes, out Chunk? chunk), Is.True);
            Assert.That(chunk!.ThreadId, Is.EqualTo(expected));
        }

        Assert.That(bytes.IsEmpty, Is.True, "nothing else was written");
    }

    /// <summary>A write-only stream that keeps each write it gets.</summary>
    private sealed class RecordingStream : Stream
    {
        private readonly List<byte[]> _writes = [];

        public IReadOnlyList<byte[]> Writes
        {
            get
            {
                lock (_writes)
                {
                    return [.. _writes];
                }
            }
        }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public override void Flush()
        {
        }

        public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => Write(buffer.AsSpan(offset, count));

        public override void Write(ReadOnlySpan<byte> buffer)
        {
            lock (_writes)
            {
                _writes.Add(buffer.ToArray());
            }
        }

        public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            Write(buffer.Span);
            return ValueTask.CompletedTask;
        }
    }
}
