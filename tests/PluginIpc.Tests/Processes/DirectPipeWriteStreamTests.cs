using System.IO.Pipes;

namespace PluginIpc.Tests.Processes;

/// <summary>Writes to a pipe with plain non-blocking writes while it has room, and through the pipe stream for the rest.</summary>
[TestFixture]
public sealed class DirectPipeWriteStreamTests
{
    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_MoreThanThePipeHolds_WritesWhatFitsThenTheRestWhenTheReaderMakesRoom(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("Direct pipe writes are Linux only.");
            return;
        }

        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        using var reader = new AnonymousPipeClientStream(PipeDirection.In, server.ClientSafePipeHandle);
        Stream writer = DirectPipeWriteStream.Wrap(server);
        Assert.That(writer, Is.InstanceOf<DirectPipeWriteStream>());
        byte[] bytes = new byte[1024 * 1024]; // far more than a pipe's 64 KiB
        new Random(29).NextBytes(bytes);

        ValueTask write = writer.WriteAsync(bytes, cancellationToken);

        // Nothing reads yet: the pipe took what fit, and the rest waits for room without holding this thread.
        Assert.That(write.IsCompleted, Is.False);
        byte[] received = new byte[bytes.Length];
        await reader.ReadExactlyAsync(received, cancellationToken);
        await write;
        Assert.That(received, Is.EqualTo(bytes));
    }

    [Test, CancelAfter(10_000)]
    public async Task WriteAsync_TheReadingEndIsClosed_FailsWithIOException(CancellationToken cancellationToken)
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Ignore("Direct pipe writes are Linux only.");
            return;
        }

        using var server = new AnonymousPipeServerStream(PipeDirection.Out);
        server.DisposeLocalCopyOfClientHandle(); // the only reading end: the pipe is broken
        Stream writer = DirectPipeWriteStream.Wrap(server);

        // The channel's writer turns an IOException into a closed channel; the runtime ignores SIGPIPE, so write returns EPIPE.
        Assert.That(async () => await writer.WriteAsync("x"u8.ToArray(), cancellationToken), Throws.InstanceOf<IOException>());
    }
}
