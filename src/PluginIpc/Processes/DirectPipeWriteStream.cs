using System.IO.Pipes;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace PluginIpc;

/// <summary>
/// Writes to a pipe with plain non-blocking <c>write</c> calls while it has room, and through a <see cref="PipeDrainWriter"/>
/// for what does not fit. Write-only; one write at a time, as the channel's writer makes them. Linux only
/// (see <see cref="UnixNative.TrySetNonBlocking"/>); elsewhere the pipe stream is used as it is.
/// </summary>
/// <remarks>
/// A <see cref="PipeStream"/> write goes through the runtime's socket layer on Linux and macOS (a few hundred nanoseconds a
/// round trip on this path); a pipe with room takes the bytes in one system call. When it is full the rest goes to the
/// writer's thread, which waits for room in <c>poll</c>.
/// </remarks>
[SupportedOSPlatform("linux")]
internal sealed class DirectPipeWriteStream : Stream, INonBlockingWrite
{
    private readonly PipeStream _pipe;
    private readonly SafePipeHandle _handle;
    private readonly PipeDrainWriter _drain;

    private DirectPipeWriteStream(PipeStream pipe)
    {
        _pipe = pipe;
        _handle = pipe.SafePipeHandle;
        _drain = new PipeDrainWriter(_handle);
    }

    /// <summary>Wraps <paramref name="output"/> when it is a pipe whose descriptor can be made non-blocking; otherwise returns it.</summary>
    /// <param name="output">The stream the channel writes to; owned by the result.</param>
    /// <returns>The stream to write chunks to.</returns>
    public static Stream Wrap(Stream output) =>
        OperatingSystem.IsLinux() && output is PipeStream { CanWrite: true, SafePipeHandle: { IsInvalid: false } handle } pipe && UnixNative.TrySetNonBlocking(handle)
            ? new DirectPipeWriteStream(pipe)
            : output;

    /// <inheritdoc/>
    public override bool CanRead => false;

    /// <inheritdoc/>
    public override bool CanSeek => false;

    /// <inheritdoc/>
    public override bool CanWrite => true;

    /// <inheritdoc/>
    public override long Length => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Position { get => throw new NotSupportedException(); set => throw new NotSupportedException(); }

    /// <inheritdoc/>
    public override ValueTask WriteAsync(ReadOnlyMemory<byte> buffer, CancellationToken cancellationToken = default)
    {
        if (cancellationToken.IsCancellationRequested)
        {
            return ValueTask.FromCanceled(cancellationToken);
        }

        int written;
        try
        {
            written = UnixNative.WriteNonBlocking(_handle, buffer.Span);
        }
        catch (IOException ex)
        {
            return ValueTask.FromException(ex);
        }
        catch (ObjectDisposedException ex)
        {
            return ValueTask.FromException(ex);
        }

        return written == buffer.Length ? default : _drain.WriteAsync(buffer[written..], cancellationToken);
    }

    /// <inheritdoc/>
    public int WriteNow(ReadOnlySpan<byte> first, ReadOnlySpan<byte> second) => UnixNative.WriteNonBlocking(_handle, first, second);

    /// <inheritdoc/>
    public override Task WriteAsync(byte[] buffer, int offset, int count, CancellationToken cancellationToken) =>
        WriteAsync(buffer.AsMemory(offset, count), cancellationToken).AsTask();

    /// <inheritdoc/>
    public override void Write(byte[] buffer, int offset, int count) => throw new NotSupportedException("Only asynchronous writes: the descriptor is non-blocking.");

    /// <inheritdoc/>
    public override Task FlushAsync(CancellationToken cancellationToken) => Task.CompletedTask;

    /// <inheritdoc/>
    public override void Flush()
    {
    }

    /// <inheritdoc/>
    public override int Read(byte[] buffer, int offset, int count) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override long Seek(long offset, SeekOrigin origin) => throw new NotSupportedException();

    /// <inheritdoc/>
    public override void SetLength(long value) => throw new NotSupportedException();

    /// <inheritdoc/>
    protected override void Dispose(bool disposing)
    {
        if (disposing)
        {
            _drain.Dispose();
            _pipe.Dispose();
        }

        base.Dispose(disposing);
    }
}
