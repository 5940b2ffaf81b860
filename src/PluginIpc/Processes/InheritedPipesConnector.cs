using System.Diagnostics;
using System.IO.Pipes;

namespace PluginIpc;

/// <summary>
/// Starts plugins over <see cref="PluginTransport.InheritedPipes"/>: the channel on two extra anonymous pipes the plugin
/// inherits, named in <c>PLUGINIPC_IN_FD</c> and <c>PLUGINIPC_OUT_FD</c>; its stdout and stderr are read as output lines.
/// </summary>
internal sealed class InheritedPipesConnector : ProcessConnector
{
    private InheritedPipesConnector()
    {
    }

    /// <summary>Gets the one instance; it holds no state.</summary>
    public static InheritedPipesConnector Instance { get; } = new();

    /// <inheritdoc/>
    public override PluginTransport Transport => PluginTransport.InheritedPipes;

    /// <inheritdoc/>
    protected override ProcessStreams CreateStreams(PluginProcessStartInfo info) =>
        OperatingSystem.IsWindows()
            ? throw new PluginStartException(
                $"Cannot start plugin executable '{info.ExecutablePath}': inherited pipes are not supported on Windows; use the Stdio transport.")
            : new Pipes();

    /// <summary>The two pipes of one plugin process: the host keeps the server ends, the child inherits the client ends.</summary>
    private sealed class Pipes : ProcessStreams
    {
        private AnonymousPipeServerStream? _toPlugin;
        private AnonymousPipeServerStream? _fromPlugin;

        /// <inheritdoc/>
        public override bool StandardOutputIsFree => true;

        /// <inheritdoc/>
        public override void BeforeStart(ProcessStartInfo startInfo)
        {
            _toPlugin = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.Inheritable);
            _fromPlugin = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
            startInfo.Environment[LaunchVariables.InFd] = _toPlugin.GetClientHandleAsString();
            startInfo.Environment[LaunchVariables.OutFd] = _fromPlugin.GetClientHandleAsString();
        }

        /// <inheritdoc/>
        public override void AfterStart()
        {
            _toPlugin?.DisposeLocalCopyOfClientHandle();
            _fromPlugin?.DisposeLocalCopyOfClientHandle();
        }

        /// <inheritdoc/>
        public override (Stream Input, Stream Output) Open(Process process)
        {
            // stdin is not the channel: give the plugin an immediate end of input there instead of the host's console.
            CloseQuietly(process.StandardInput);
            return (OpenInput(_fromPlugin!), OpenOutput(_toPlugin!)); // both exist once the process started
        }

        /// <inheritdoc/>
        protected override void Dispose(bool disposing)
        {
            if (disposing)
            {
                DisposeQuietly(_toPlugin);
                DisposeQuietly(_fromPlugin);
            }

            base.Dispose(disposing);
        }

        private static void CloseQuietly(StreamWriter writer)
        {
            try
            {
                writer.Close();
            }
            catch (IOException)
            {
                // The plugin already exited.
            }
        }
    }
}
