using System.Buffers;
using System.IO.Pipelines;
using PluginIpc.Tests.Host;

namespace PluginIpc.Tests.Channel;

/// <summary>
/// The other side may send a new request with a thread id as soon as it has read the answer that freed it, while the write
/// of that answer is still under way. These tests hold the write there on purpose: its bytes are readable, but its flush
/// does not complete until the test consumes them.
/// </summary>
[TestFixtureSource(typeof(Framers), nameof(Framers.Names))]
public sealed class ThreadIdReuseTests(string framer)
{
    private const int DuplicateThreadId = 108;
    private const ulong ThreadId = 4;

    [TestCase(false), TestCase(true), CancelAfter(20_000)]
    public async Task ThreadIdOfAnsweredRequest_IsFreeWhileTheAnswerIsStillBeingWritten(bool handlerThrows, CancellationToken cancellationToken)
    {
        var logs = new CapturingLoggerFactory();
        var toChannel = new Pipe();
        var fromChannel = new Pipe(new PipeOptions(pauseWriterThreshold: 1, resumeWriterThreshold: 1)); // every flush waits for the reader
        var channel = new PluginIpc.Channel(new TestPipes.DuplexPipe(toChannel.Reader, fromChannel.Writer), Framers.Create(framer), new ChannelOptions { LoggerFactory = logs });
        IChunkFramer peer = Framers.Create(framer);
        var firstEntered = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var releaseFirst = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var secondHandled = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        await using (channel)
        {
            channel.Handle("first", async (chunk, _, _) =>
            {
                firstEntered.TrySetResult();
                await releaseFirst.Task; // Goes on on the thread pool, after the read loop has moved on.
                return handlerThrows ? throw new InvalidOperationException("first failed") : chunk.Buffer;
            });
            channel.Handle("release", (_, _, _) =>
            {
                releaseFirst.TrySetResult(); // Comes in a later read than "first": the loop is done with that one, and no longer holds writes back.
                return ValueTask.FromResult(ReadOnlyMemory<byte>.Empty);
            });
            channel.Handle("second", (chunk, _, _) =>
            {
                secondHandled.TrySetResult();
                return ValueTask.FromResult(chunk.Buffer);
            });
            channel.Start();

            await WriteAsync(toChannel.Writer, peer, Direction.Request, "first", cancellationToken);
            await firstEntered.Task.WaitAsync(cancellationToken);
            await WriteAsync(toChannel.Writer, peer, Direction.OneWay, "release", cancellationToken);
            Chunk firstAnswer = await PeekChunkAsync(fromChannel.Reader, peer, cancellationToken); // its flush is still waiting
            await WriteAsync(toChannel.Writer, peer, Direction.Request, "second", cancellationToken);
            Task refused = logs.WaitForAsync(e => e.EventId.Id == DuplicateThreadId, cancellationToken);
            await Task.WhenAny(secondHandled.Task, refused).WaitAsync(cancellationToken);

            Assert.That(firstAnswer.ThreadId, Is.EqualTo(ThreadId));
            Assert.That(firstAnswer.Cmd, Is.EqualTo(handlerThrows ? Commands.Error : "first"));
            Assert.That(refused.IsCompleted, Is.False, "the second request was refused: its thread id was still in flight");
            Chunk secondAnswer = await ReadChunkAsync(fromChannel.Reader, peer, skip: 1, cancellationToken);
            Assert.That(secondAnswer.ThreadId, Is.EqualTo(ThreadId));
            Assert.That(secondAnswer.Cmd, Is.EqualTo("second"), System.Text.Encoding.UTF8.GetString(secondAnswer.Buffer.Span));
        }
    }

    private static async Task WriteAsync(PipeWriter output, IChunkFramer framer, Direction direction, string cmd, CancellationToken cancellationToken)
    {
        framer.Write(new Chunk { ThreadId = direction == Direction.Request ? ThreadId : 0, Direction = direction, Cmd = cmd, Buffer = "x"u8.ToArray() }, output);
        await output.FlushAsync(cancellationToken);
    }

    /// <summary>Reads the first chunk the channel wrote without consuming it, so that the channel's flush stays under way.</summary>
    private static async Task<Chunk> PeekChunkAsync(PipeReader input, IChunkFramer framer, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (framer.TryRead(ref buffer, out Chunk? chunk))
            {
                input.AdvanceTo(result.Buffer.Start); // Nor examined: a pipe lets its writer go on once the reader has examined its bytes.
                return chunk!;
            }

            input.AdvanceTo(result.Buffer.Start, result.Buffer.End);
            Assert.That(result.IsCompleted, Is.False, "the channel closed its output");
        }
    }

    /// <summary>Consumes <paramref name="skip"/> chunks, then reads and consumes the next one.</summary>
    private static async Task<Chunk> ReadChunkAsync(PipeReader input, IChunkFramer framer, int skip, CancellationToken cancellationToken)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync(cancellationToken);
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (framer.TryRead(ref buffer, out Chunk? chunk))
            {
                if (skip-- == 0)
                {
                    input.AdvanceTo(buffer.Start);
                    return chunk!;
                }
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            Assert.That(result.IsCompleted, Is.False, "the channel closed its output");
        }
    }
}
