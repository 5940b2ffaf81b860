using System.Diagnostics;

namespace PluginIpc;

/// <summary>Starts plugins over <see cref="PluginTransport.Stdio"/>: the channel on the plugin's stdin and stdout; its stderr is read as output lines.</summary>
internal sealed class StdioConnector : ProcessConnector
{
    private StdioConnector()
    {
    }

    /// <summary>Gets the one instance; it holds no state.</summary>
    public static StdioConnector Instance { get; } = new();

    /// <inheritdoc/>
    public override PluginTransport Transport => PluginTransport.Stdio;

    /// <inheritdoc/>
    protected override ProcessStreams CreateStreams(PluginProcessStartInfo info) => new StandardStreams();

    /// <summary>The plugin's own stdout and stdin, which the process redirects anyway: nothing to set up or release.</summary>
    private sealed class StandardStreams : ProcessStreams
    {
        /// <inheritdoc/>
        public override bool StandardOutputIsFree => false;

        /// <inheritdoc/>
        public override (Stream Input, Stream Output) Open(Process process) =>
            (OpenInput(process.StandardOutput.BaseStream), OpenOutput(process.StandardInput.BaseStream));
    }
}
