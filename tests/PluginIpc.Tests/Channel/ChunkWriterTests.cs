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
            .Select(i => Task.Run(async () => await writer.WriteAsync(new Chunk { ThreadId = (ulong)i, Direction = Direction.OneWay, Cmd = "big", Buffer = body }), cancellationToken))
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

        Assert.That(async () => await writer.WriteAsync(new Chunk { Direction = Direction.OneWay, Cmd = "x" }), Throws.InstanceOf<ChannelClosedException>());
        ReadResult end = await pipe.Reader.ReadAsync(cancellationToken);
        Assert.That(end.IsCompleted, Is.True);
    }
}
