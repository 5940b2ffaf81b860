using System.IO.Pipelines;

namespace PluginIpc.Benchmarks;

/// <summary>One end of an in-memory connection: the benchmarks' channels talk over two <see cref="Pipe"/>s, with no I/O.</summary>
internal sealed class InMemoryDuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
{
    public PipeReader Input { get; } = input;

    public PipeWriter Output { get; } = output;

    /// <summary>Returns the two ends of a new connection.</summary>
    public static (IDuplexPipe Host, IDuplexPipe Plugin) CreatePair()
    {
        var toPlugin = new Pipe();
        var toHost = new Pipe();
        return (new InMemoryDuplexPipe(toHost.Reader, toPlugin.Writer), new InMemoryDuplexPipe(toPlugin.Reader, toHost.Writer));
    }
}
