using System.IO.Pipes;
using System.Net.Sockets;
using System.Runtime.Versioning;
using Microsoft.Win32.SafeHandles;

namespace PluginIpc;

/// <summary>The plugin side of the transport: the two streams that carry chunks to and from the host.</summary>
/// <remarks>
/// Reads return 0 once the host is gone, and writes then fail with an <see cref="IOException"/>, so the layer above
/// notices promptly and can exit. Not thread safe; <see cref="DisposeAsync"/> is idempotent.
/// </remarks>
internal sealed class PluginConnection : IAsyncDisposable
{
    private const int StdinFd = 0, StdoutFd = 1, StderrFd = 2;
    private int _disposed;

    private PluginConnection(Stream input, Stream output)
    {
        Input = input;
        Output = output;
    }

    /// <summary>Gets the stream the plugin reads chunks from.</summary>
    public Stream Input { get; }

    /// <summary>Gets the stream the plugin writes chunks to (the same object as <see cref="Input"/> for a single duplex socket).</summary>
    public Stream Output { get; }

    /// <summary>Opens the streams that <paramref name="contract"/> describes.</summary>
    /// <remarks>
    /// Inherited descriptors may be pipes or Unix sockets (a Node.js host passes socket pairs); sockets get a
    /// <see cref="NetworkStream"/>; other descriptors are read with blocking reads on a thread of their own, and written
    /// through an <see cref="AnonymousPipeClientStream"/> when they are pipes (on Linux with plain non-blocking writes while
    /// the pipe has room, see <see cref="DirectPipeWriteStream"/>). Both are made close-on-exec, so that processes
    /// the plugin starts do not keep the channel open. On stdin and stdout, the plugin's console output is sent to stderr:
    /// <see cref="Console.Out"/> is replaced and, on Linux and macOS, descriptor 1 itself is pointed at stderr (so that even
    /// native writes cannot reach the channel) after the channel got its own copy; descriptor 0 is pointed at
    /// <c>/dev/null</c> so that console reads cannot steal chunks. Call it once, early, before other threads write output.
    /// </remarks>
    /// <exception cref="IOException">A descriptor is not open or cannot be duplicated.</exception>
    public static PluginConnection Open(LaunchContract contract)
    {
        ArgumentNullException.ThrowIfNull(contract);
        if (contract.UsesStdio)
        {
            return OpenStdio();
        }

        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            return OpenDescriptors(contract.InFd.Value, contract.OutFd.Value);
        }

        throw new PlatformNotSupportedException("Inherited descriptors are only supported on Linux and macOS.");
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        try
        {
            await Output.DisposeAsync().ConfigureAwait(false);
        }
        catch (IOException)
        {
            // The host is gone; nothing left to flush.
        }

        if (!ReferenceEquals(Input, Output))
        {
            await Input.DisposeAsync().ConfigureAwait(false);
        }
    }

    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    private static PluginConnection OpenDescriptors(int inFd, int outFd)
    {
        if (inFd == outFd)
        {
            Stream duplex = OpenDescriptor(inFd, FileAccess.ReadWrite);
            return new PluginConnection(duplex, duplex);
        }

        Stream input = OpenDescriptor(inFd, FileAccess.Read);
        try
        {
            return new PluginConnection(input, OpenDescriptor(outFd, FileAccess.Write));
        }
        catch
        {
            input.Dispose();
            throw;
        }
    }

    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    private static Stream OpenDescriptor(int fd, FileAccess access)
    {
        bool isSocket = UnixNative.IsSocket(fd); // also proves the descriptor is open before we take ownership
        UnixNative.SetCloseOnExec(fd);
        if (isSocket)
        {
            var socket = new Socket(new SafeSocketHandle(fd, ownsHandle: true));
            return new NetworkStream(socket, access, ownsSocket: true);
        }

        return OpenPipeOrFile(fd, access);
    }

    /// <summary>
    /// Opens a descriptor that is not a socket. Reads are blocking reads on a thread of the stream's own, which then runs
    /// the channel's dispatch (a <see cref="FileStream"/> alone would block a thread-pool thread in every read, and on a
    /// one-CPU machine that starves the pool until it grows). Writes to a pipe go through an <see cref="AnonymousPipeClientStream"/>,
    /// on Linux as plain non-blocking writes while it has room (see <see cref="DirectPipeWriteStream"/>; a
    /// <see cref="FileStream"/> hands every asynchronous write to the thread pool); anything else, such as a file, gets a
    /// <see cref="FileStream"/>. A pipe
    /// gets the larger buffer the host gives it (<see cref="UnixNative.TryGrowPipe"/>).
    /// </summary>
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    private static Stream OpenPipeOrFile(int fd, FileAccess access)
    {
        UnixNative.TryGrowPipe(fd); // a host in another language may not have done it
        if (access == FileAccess.Read)
        {
            return DedicatedReadStream.ForDescriptor(fd, "PluginIpc input");
        }

        if (access == FileAccess.Write)
        {
            var pipe = new SafePipeHandle(fd, ownsHandle: true);
            try
            {
                var stream = new AnonymousPipeClientStream(PipeDirection.Out, pipe);
                return OperatingSystem.IsLinux() ? DirectPipeWriteStream.Wrap(stream) : stream;
            }
            catch (IOException)
            {
                pipe.SetHandleAsInvalid(); // Not a pipe: the descriptor stays open for the FileStream.
            }
        }

        return new FileStream(new SafeFileHandle(fd, ownsHandle: true), access, bufferSize: 0);
    }

    private static PluginConnection OpenStdio()
    {
        Stream input, output;
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
        {
            int inFd = UnixNative.Duplicate(StdinFd);
            int outFd = UnixNative.Duplicate(StdoutFd);
            using (SafeFileHandle devNull = File.OpenHandle("/dev/null", FileMode.Open, FileAccess.Read))
            {
                UnixNative.Redirect((int)devNull.DangerousGetHandle(), StdinFd);
            }

            UnixNative.Redirect(StderrFd, StdoutFd);
            input = OpenPipeOrFile(inFd, FileAccess.Read);
            output = OpenPipeOrFile(outFd, FileAccess.Write);
        }
        else
        {
            // Elsewhere only managed output is redirected: native writes to stdout would still corrupt the channel.
            input = Console.OpenStandardInput();
            output = Console.OpenStandardOutput();
        }

        Console.SetIn(TextReader.Null);
        Console.SetOut(Console.Error);
        return new PluginConnection(input, output);
    }
}
