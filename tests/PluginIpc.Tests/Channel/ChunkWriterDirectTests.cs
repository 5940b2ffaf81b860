using System.IO.Pipelines;
using System.IO.Pipes;

namespace PluginIpc.Tests.Channel;

/// <summary>Large buffers written from where they lie: whole, in order, and never read again once the write returned.</summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class ChunkWriterDirectTests(string framerName)
{
    [Test, CancelAfter(20_000)]
    public async Task WriteAsync_LargeChunkThePipeCannotHold_TheCallerMayReuseItsBufferAtOnce(CancellationToken cancellationToken)
    {
        IChunkFramer framer = Framers.Create(framerName);
        (Stream output, RawPeer input, IDisposable pipes) = OpenPipe(framer);
        await using (input)
        using (pipes)
        {
            var writer = new ChunkWriter(output, framer, _ => { });
            byte[] body = new byte[1024 * 1024]; // far more than the pipe holds: most of it cannot go out before this returns
            new Random(7).NextBytes(body);
            byte[] expected = body.ToArray();

            ValueTask written = writer.WriteAsync(new OutgoingChunk(5, Direction.Request, "big", body));
            Array.Fill(body, (byte)0xEE); // the caller's memory is its own again
            Assert.That(written.IsCompleted, Is.False, "nothing reads yet: the rest waits for room");

            Chunk received = await input.ReadChunkAsync(cancellationToken);
            await written.AsTask().WaitAsync(cancellationToken);
            Assert.That(received.ThreadId, Is.EqualTo(5UL));
            Assert.That(received.Cmd, Is.EqualTo("big"));
            Assert.That(received.Buffer.ToArray(), Is.EqualTo(expected));
        }
    }

    [Test, CancelAfter(30_000)]
    public async Task WriteAsync_LargeAndSmallChunksFromManyWriters_EachArrivesWholeAndEachWritersInOrder(CancellationToken cancellationToken)
    {
        IChunkFramer framer = Framers.Create(framerName);
        (Stream output, RawPeer input, IDisposable pipes) = OpenPipe(framer);
        await using (input)
        using (pipes)
        {
            var writer = new ChunkWriter(output, framer, _ => { });
            const int Writers = 4;
            const int PerWriter = 60;

            Task reading = Task.Run(
                async () =>
                {
                    int[] next = new int[Writers];
                    for (int i = 0; i < Writers * PerWriter; i++)
                    {
                        Chunk chunk = await input.ReadChunkAsync(cancellationToken);
                        int who = (int)(chunk.ThreadId >> 32), sequence = (int)(uint)chunk.ThreadId;
                        Assert.That(sequence, Is.EqualTo(next[who]), $"writer {who}'s chunks out of order");
                        Assert.That(chunk.Buffer.ToArray(), Is.EqualTo(Body(who, sequence)), $"writer {who}'s chunk {sequence} garbled");
                        next[who]++;
                    }
                },
                cancellationToken);

            Task writing = Task.WhenAll(Enumerable.Range(0, Writers).Select(who => Task.Run(
                async () =>
                {
                    for (int sequence = 0; sequence < PerWriter; sequence++)
                    {
                        byte[] body = Body(who, sequence);
                        await writer.WriteAsync(new OutgoingChunk(((ulong)who << 32) | (uint)sequence, Direction.OneWay, "c", body));
                        Array.Clear(body); // a write that waits for room (over the writer's cap) holds the chunk until it completes
                    }
                },
                cancellationToken)));

            // A reader that failed stops reading, and the writers then wait for room: its assertion is the failure to report.
            await Task.WhenAny(reading, writing).WaitAsync(cancellationToken);
            if (reading.IsFaulted)
            {
                await reading;
            }

            await writing.WaitAsync(cancellationToken);
            await reading.WaitAsync(cancellationToken);
        }
    }

    /// <summary>Writer <paramref name="who"/>'s chunk <paramref name="sequence"/>: every third one large (32 KiB to 300 KiB), the others small.</summary>
    private static byte[] Body(int who, int sequence)
    {
        var random = new Random((who * 1000) + sequence);
        byte[] body = new byte[sequence % 3 == 0 ? random.Next(32 * 1024, 300 * 1024) : random.Next(0, 200)];
        random.NextBytes(body);
        return body;
    }

    private static (Stream Output, RawPeer Input, IDisposable Pipes) OpenPipe(IChunkFramer framer)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("Direct pipe writes are Linux only.");
            throw new PlatformNotSupportedException(); // not reached: Ignore throws
        }

        var server = new AnonymousPipeServerStream(PipeDirection.Out);
        var client = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
        Stream output = DirectPipeWriteStream.Wrap(server);
        Assert.That(output, Is.InstanceOf<DirectPipeWriteStream>());
        return (output, RawPeer.Reading(PipeReader.Create(client), framer), new Both(output, client));
    }

    private sealed class Both(IDisposable first, IDisposable second) : IDisposable
    {
        public void Dispose()
        {
            first.Dispose();
            second.Dispose();
        }
    }
}
