using System.IO.Pipelines;
using System.IO.Pipes;

namespace PluginIpc.Tests.Channel;

/// <summary>Connections between two ends in one process: in-memory pipes or real OS anonymous pipes.</summary>
public static class TestPipes
{
    /// <summary>Two crossed in-memory pipes.</summary>
    public static (IDuplexPipe Host, IDuplexPipe Plugin) CreatePair()
    {
        var toPlugin = new Pipe();
        var toHost = new Pipe();
        return (new DuplexPipe(toHost.Reader, toPlugin.Writer), new DuplexPipe(toPlugin.Reader, toHost.Writer));
    }

    /// <summary>
    /// Two crossed in-memory pipes whose readers run on the writer's thread, inside its flush: a call's answer is read, and
    /// the call settled, before the write of its request returns.
    /// </summary>
    public static (IDuplexPipe Host, IDuplexPipe Plugin) CreateInlinePair()
    {
        var options = new System.IO.Pipelines.PipeOptions(readerScheduler: PipeScheduler.Inline, writerScheduler: PipeScheduler.Inline, useSynchronizationContext: false);
        var toPlugin = new Pipe(options);
        var toHost = new Pipe(options);
        return (new DuplexPipe(toHost.Reader, toPlugin.Writer), new DuplexPipe(toPlugin.Reader, toHost.Writer));
    }

    /// <summary>Two OS anonymous pipes, as a plugin process would get them: each end has an input and an output stream.</summary>
    public static (Stream HostInput, Stream HostOutput, Stream PluginInput, Stream PluginOutput) CreateOsPipes()
    {
        var hostToPlugin = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.None);
        var pluginIn = new AnonymousPipeClientStream(PipeDirection.In, hostToPlugin.ClientSafePipeHandle);
        var pluginToHost = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.None);
        var pluginOut = new AnonymousPipeClientStream(PipeDirection.Out, pluginToHost.ClientSafePipeHandle);
        return (pluginToHost, hostToPlugin, pluginIn, pluginOut);
    }

    /// <summary>An input and an output joined as one duplex pipe.</summary>
    internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
