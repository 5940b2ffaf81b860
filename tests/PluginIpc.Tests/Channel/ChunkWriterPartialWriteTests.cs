using System.Buffers;

namespace PluginIpc.Tests.Channel;

/// <summary>A large chunk written from its own memory, whatever part of it the stream takes at once: the bytes arrive exactly once, in order.</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class ChunkWriterPartialWriteTests(string framerName)
{
    private const int BodyBytes = 40 * 1024;

    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_TheStreamTakesPartOfALargeChunkAtOnce_TheRestFollowsAndTheCallersBufferIsFree(
        [Values(0, 1, 5, -1, BodyBytes - 1, BodyBytes)] int taken, [Values(false, true)] bool fromBody, CancellationToken cancellationToken)
    {
        // taken counts from the start of the chunk, or with fromBody from the start of its buffer (so it falls past the fields).
        IChunkFramer framer = Framers.Create(framerName);
        byte[] body = new byte[BodyBytes];
        new Random(taken).NextBytes(body);
        var chunk = new OutgoingChunk(42, Direction.Request, "big", body);
        var whole = new ArrayBufferWriter<byte>();
        ((IOutgoingChunkFramer)framer).Write(chunk, whole);
        int fields = whole.WrittenCount - BodyBytes;
        int atOnce = Math.Clamp((fromBody ? fields : 0) + (taken < 0 ? fields + taken : taken), 0, whole.WrittenCount);
        var stream = new TakingStream(atOnce);
        var writer = new ChunkWriter(stream, framer, _ => { });

        ValueTask written = writer.WriteAsync(chunk);
        Array.Fill(body, (byte)0xEE); // the caller's memory is its own again
        await written.AsTask().WaitAsync(cancellationToken);

        Assert.That(stream.TakenAtOnce, Is.EqualTo(atOnce), "the chunk went out from its own memory first");
        Assert.That(stream.Received.ToArray(), Is.EqualTo(whole.WrittenSpan.ToArray()));
    }

    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_ALoneSmallChunk_GoesOutRightThere_AndWhatTheStreamDoesNotTakeAtOnceFollows(
        [Values(0, 1, 7, 1000)] int atOnce, CancellationToken cancellationToken)
    {
        IChunkFramer framer = Framers.Create(framerName);
        var first = new OutgoingChunk(1, Direction.Request, "small", "hello"u8.ToArray());
        var second = new OutgoingChunk(2, Direction.Response, "", "world"u8.ToArray());
        byte[] expected = Framed(framer, first, second);
        var stream = new TakingStream(atOnce);
        var writer = new ChunkWriter(stream, framer, _ => { });

        await writer.WriteAsync(first).AsTask().WaitAsync(cancellationToken);
        bool wentOutRightThere = stream.TakenAtOnce >= 0;
        await writer.WriteAsync(second).AsTask().WaitAsync(cancellationToken);

        Assert.That(wentOutRightThere, Is.True, "the lone chunk was written by its writer, without the flush loop");
        Assert.That(stream.Received.ToArray(), Is.EqualTo(expected), "every byte once, in order");
    }

    [Test, CancelAfter(10_000)]
    public async Task Uncork_TheCorkedChunksGoOutRightThere_AndWhatTheStreamDoesNotTakeAtOnceFollows(
        [Values(0, 7, 10_000)] int atOnce, CancellationToken cancellationToken)
    {
        IChunkFramer framer = Framers.Create(framerName);
        OutgoingChunk[] answers = [.. Enumerable.Range(0, 3).Select(i => new OutgoingChunk((ulong)i, Direction.Response, "", new byte[] { (byte)i, 1, 2 }))];
        byte[] expected = Framed(framer, answers);
        var stream = new TakingStream(atOnce);
        var writer = new ChunkWriter(stream, framer, _ => { });

        writer.Cork(); // as the read loop does while it dispatches a read
        foreach (OutgoingChunk answer in answers)
        {
            await writer.WriteAsync(answer).AsTask().WaitAsync(cancellationToken);
        }

        writer.Uncork();
        int takenAtOnce = stream.TakenAtOnce;
        await writer.CompleteAsync(null).AsTask().WaitAsync(cancellationToken);

        Assert.That(takenAtOnce, Is.EqualTo(Math.Min(atOnce, expected.Length)), "the uncorking thread wrote them itself, at once");
        Assert.That(stream.Received.ToArray(), Is.EqualTo(expected), "every byte once, in order");
    }

    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_AChunkWrittenWhileALoneChunkGoesOut_FollowsIt(CancellationToken cancellationToken)
    {
        IChunkFramer framer = Framers.Create(framerName);
        var first = new OutgoingChunk(1, Direction.Request, "small", "hello"u8.ToArray());
        var second = new OutgoingChunk(2, Direction.Request, "other", "world"u8.ToArray());
        byte[] expected = Framed(framer, first, second);
        var stream = new TakingStream(1000);
        var writer = new ChunkWriter(stream, framer, _ => { });
        Task? secondWritten = null;
        stream.OnWriteNow = () => secondWritten ??= writer.WriteAsync(second).AsTask(); // while the first is being written

        await writer.WriteAsync(first).AsTask().WaitAsync(cancellationToken);
        await secondWritten!.WaitAsync(cancellationToken);

        Assert.That(stream.Received.ToArray(), Is.EqualTo(expected), "the second went out after the first");
    }

    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_TheStreamFailsAChunk_ThisAndLaterWritesFailInsteadOfWaiting([Values(10, BodyBytes)] int bodyBytes, CancellationToken cancellationToken)
    {
        IChunkFramer framer = Framers.Create(framerName);
        Exception? reported = null;
        var writer = new ChunkWriter(new TakingStream(0, fail: true), framer, error => reported = error);

        Assert.That(async () => await writer.WriteAsync(new OutgoingChunk(1, Direction.Request, "big", new byte[bodyBytes])).AsTask().WaitAsync(cancellationToken), Throws.InstanceOf<ChannelClosedException>());
        Assert.That(reported, Is.InstanceOf<ChannelClosedException>());
        Assert.That(async () => await writer.WriteAsync(new OutgoingChunk(2, Direction.Request, "small", new byte[10])).AsTask().WaitAsync(cancellationToken), Throws.InstanceOf<ChannelClosedException>());
    }

    /// <summary>Returns <paramref name="chunks"/> as <paramref name="framer"/> frames them, one after another.</summary>
    private static byte[] Framed(IChunkFramer framer, params OutgoingChunk[] chunks)
    {
        var framed = new ArrayBufferWriter<byte>();
        foreach (OutgoingChunk chunk in chunks)
        {
            framer.Write(chunk.ToChunk(), framed);
        }

        return framed.WrittenSpan.ToArray();
    }

    /// <summary>Takes <c>atOnce</c> bytes without waiting (or fails), then everything through its asynchronous write.</summary>
    private sealed class TakingStream(int atOnce, bool fail = false) : Stream, INonBlockingWrite
    {
        public MemoryStream Received { get; } = new();

        public int TakenAtOnce { get; private set; } = -1;

        /// <summary>Run by each write made without waiting, before it takes its bytes.</summary>
        public Action? OnWriteNow { get; set; }

        public override bool CanRead => false;

        public override bool CanSeek => false;

        public override bool CanWrite => true;

        public override long Length => throw new NotSupportedException();

        public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

        public int WriteNow(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second)
        {
            OnWriteNow?.Invoke();
            if (fail)
            {
                throw new IOException("Broken pipe (test).");
            }

            int fromFirst = Math.Min(atOnce, first.Length);
            int fromSecond = Math.Min(atOnce - fromFirst, second.Length);
            Received.Write(first[..fromFirst]);
            Received.Write(second[..fromSecond]);
            TakenAtOnce = fromFirst + fromSecond;
            return TakenAtOnce;
        }

        public override async ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
        {
            await Task.Yield(); // as a pipe with no room: the rest goes out later, after the write returned
            Received.Write(buffer.Span);
        }

        public override void Flush()
        {
        }

        public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

        public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

        public override void SetLength(long value) => throw new NotSupportedException();

        public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException();
    }
}
