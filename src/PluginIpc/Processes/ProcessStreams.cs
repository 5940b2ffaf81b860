using System.Diagnostics;
using System.IO.Pipes;

namespace PluginIpc;

/// <summary>How one transport carries the channel of one plugin process: what it sets up around the start, and the streams it opens after.</summary>
/// <remarks>
/// One instance per start. <see cref="ProcessConnector"/> calls <see cref="BeforeStart"/> and <see cref="AfterStart"/> under its
/// start lock, <see cref="Dispose()"/> if the start fails; <see cref="PluginProcess"/> calls <see cref="Open"/> once the process
/// runs and <see cref="Dispose()"/> when it is disposed.
/// </remarks>
internal abstract class ProcessStreams : IDisposable
{
    private const string InputThreadName = "PluginIpc plugin output";

    /// <summary>Gets a value indicating whether the plugin's stdout is free of the channel, so that its lines are read as output.</summary>
    public abstract bool StandardOutputIsFree { get; }

    /// <summary>Under the start lock, before the start: creates what the child inherits for the channel and names it in <paramref name="startInfo"/>.</summary>
    /// <param name="startInfo">The start of the child, its environment already set.</param>
    public virtual void BeforeStart(ProcessStartInfo startInfo)
    {
    }

    /// <summary>Under the start lock, right after the start, whether it succeeded or not: closes the host's copies of the child's ends.</summary>
    public virtual void AfterStart()
    {
    }

    /// <summary>Opens the streams that carry the chunks of the started <paramref name="process"/>.</summary>
    /// <param name="process">The plugin process, started with redirected standard streams.</param>
    /// <returns>The stream the host reads chunks from, and the one it writes chunks to.</returns>
    public abstract (Stream Input, Stream Output) Open(Process process);

    /// <summary>Releases what <see cref="BeforeStart"/> created; the process's own streams are left to their owner. Never throws.</summary>
    public void Dispose()
    {
        Dispose(disposing: true);
        GC.SuppressFinalize(this);
    }

    /// <summary>Disposes <paramref name="disposable"/>, if any, ignoring the errors of streams that broke when the process went away.</summary>
    internal static void DisposeQuietly(IDisposable? disposable)
    {
        try
        {
            disposable?.Dispose();
        }
        catch (Exception exception) when (exception is IOException or InvalidOperationException)
        {
            // Disposal must not throw; the streams are broken once the process is gone.
        }
    }

    /// <summary>Gives <paramref name="pipe"/> the channel's larger pipe buffer where the system allows it (see <see cref="UnixNative.TryGrowPipe"/>).</summary>
    /// <returns><paramref name="pipe"/>.</returns>
    protected static Stream GrowPipe(Stream pipe)
    {
        if (OperatingSystem.IsLinux() && TryGetDescriptor(pipe, out int fd))
        {
            UnixNative.TryGrowPipe(fd);
        }

        return pipe;
    }

    /// <summary>
    /// Wraps the pipe the host reads the plugin's chunks from: on Linux and macOS, a duplicate of its descriptor is read with
    /// blocking reads on a thread of its own, which runs the channel's dispatch (see <see cref="DedicatedReadStream"/>), and
    /// the pipe closes with it.
    /// </summary>
    /// <returns>The stream to read chunks from.</returns>
    protected static Stream OpenInput(Stream pipe)
    {
        GrowPipe(pipe);
        if ((OperatingSystem.IsLinux() || OperatingSystem.IsMacOS()) && TryGetDescriptor(pipe, out int fd))
        {
            return DedicatedReadStream.ForDescriptor(UnixNative.Duplicate(fd), InputThreadName, closeWith: pipe);
        }

        return pipe;
    }

    /// <summary>
    /// Wraps the pipe the host writes chunks to: on Linux, its writes are plain non-blocking writes while it has room (see
    /// <see cref="DirectPipeWriteStream"/>).
    /// </summary>
    /// <returns>The stream to write chunks to.</returns>
    protected static Stream OpenOutput(Stream pipe)
    {
        GrowPipe(pipe);
        return OperatingSystem.IsLinux() ? DirectPipeWriteStream.Wrap(pipe) : pipe;
    }

    /// <summary>Releases what <see cref="BeforeStart"/> created. Never throws.</summary>
    /// <param name="disposing"><see langword="true"/> when called from <see cref="Dispose()"/>.</param>
    protected virtual void Dispose(bool disposing)
    {
    }

    private static bool TryGetDescriptor(Stream pipe, out int fd)
    {
        fd = pipe is PipeStream { SafePipeHandle: { IsInvalid: false } handle } ? (int)handle.DangerousGetHandle() : -1;
        return fd >= 0;
    }
}
