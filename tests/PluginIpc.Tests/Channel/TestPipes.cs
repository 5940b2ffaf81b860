using System.IO.Pipelines;
using System.IO.Pipes;
using System.Runtime.Versioning;

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

    /// <summary>
    /// Two OS anonymous pipes whose input ends are read as a plugin process and its host read them: on Linux and macOS
    /// through <see cref="DedicatedReadStream"/> (blocking reads on threads of its own, the read loop's next read done in
    /// place); elsewhere as <see cref="CreateOsPipes"/>. Only a channel may read such an input: other code that reads on
    /// its reading thread blocks there.
    /// </summary>
    /// <param name="pluginInputToo">Whether the plugin's input is read that way too; not for a raw peer, which is no channel.</param>
    public static (Stream HostInput, Stream HostOutput, Stream PluginInput, Stream PluginOutput) CreateDedicatedPipes(bool pluginInputToo = true)
    {
        var (hostInput, hostOutput, pluginInput, pluginOutput) = CreateOsPipes();
        if (!OperatingSystem.IsLinux() && !OperatingSystem.IsMacOS())
        {
            return (hostInput, hostOutput, pluginInput, pluginOutput);
        }

        return (
            ReadDedicated((PipeStream)hostInput, "test host in"),
            hostOutput,
            pluginInputToo ? ReadDedicated((PipeStream)pluginInput, "test plugin in") : pluginInput,
            pluginOutput);
    }

    /// <summary>Reads <paramref name="pipe"/> as processes read their pipes: a duplicate of its descriptor through <see cref="DedicatedReadStream"/>, which closes the pipe with it.</summary>
    [SupportedOSPlatform("linux")]
    [SupportedOSPlatform("macos")]
    internal static DedicatedReadStream ReadDedicated(PipeStream pipe, string threadName) =>
        DedicatedReadStream.ForDescriptor(UnixNative.Duplicate((int)pipe.SafePipeHandle.DangerousGetHandle()), threadName, closeWith: pipe);

    /// <summary>An input and an output joined as one duplex pipe.</summary>
    internal sealed class DuplexPipe(PipeReader input, PipeWriter output) : IDuplexPipe
    {
        public PipeReader Input { get; } = input;

        public PipeWriter Output { get; } = output;
    }
}
