using System.Diagnostics;
using System.IO.Pipes;
using System.Text;
using StreamJsonRpc;

namespace PluginIpc.Benchmarks;

/// <summary>
/// The PluginIpc.StreamJsonRpcPeer child and this side's <see cref="JsonRpc"/> on it. The transport is the one PluginIpc's
/// <see cref="PluginTransport.InheritedPipes"/> gives a plugin: two anonymous pipes created here, whose client ends the child
/// inherits (named on its command line rather than in environment variables); its stdin is closed at once, its stdout and
/// stderr are drained.
/// </summary>
internal sealed class StreamJsonRpcPeerProcess : IAsyncDisposable
{
    private readonly Process _process;
    private readonly AnonymousPipeServerStream _toPeer;
    private readonly AnonymousPipeServerStream _fromPeer;
    private readonly JsonRpc _rpc;
    private readonly StringBuilder _errors = new();

    private StreamJsonRpcPeerProcess(Process process, AnonymousPipeServerStream toPeer, AnonymousPipeServerStream fromPeer, string formatter)
    {
        _process = process;
        _toPeer = toPeer;
        _fromPeer = fromPeer;
        _rpc = new JsonRpc(PeerMessageHandlers.Create(formatter, sending: toPeer, receiving: fromPeer));
        Proxy = _rpc.Attach<IBenchService>();
        _rpc.StartListening();
    }

    /// <summary>Gets StreamJsonRpc's proxy of the child's <see cref="IBenchService"/>.</summary>
    public IBenchService Proxy { get; }

    /// <summary>Gets the child's process id (FloorBench reads its CPU time).</summary>
    public int ProcessId => _process.Id;

    /// <summary>Gets what the child wrote on stderr so far, for error messages.</summary>
    public string Errors
    {
        get
        {
            lock (_errors)
            {
                return _errors.ToString();
            }
        }
    }

    /// <summary>Starts the child with <paramref name="formatter"/> (see <see cref="PeerMessageHandlers"/>) and connects to it.</summary>
    /// <param name="formatter">The StreamJsonRpc formatter both ends use.</param>
    /// <param name="environment">Variables to set in the child's environment, besides this process's.</param>
    /// <returns>The connected peer.</returns>
    public static StreamJsonRpcPeerProcess Start(string formatter, IReadOnlyDictionary<string, string> environment)
    {
        var toPeer = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.Inheritable);
        var fromPeer = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
        var startInfo = new ProcessStartInfo(ChildProcesses.DotnetPath)
        {
            UseShellExecute = false,
            CreateNoWindow = true,
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
        };
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(ChildProcesses.Locate("PluginIpc.StreamJsonRpcPeer"));
        startInfo.ArgumentList.Add(formatter);
        startInfo.ArgumentList.Add(toPeer.GetClientHandleAsString());
        startInfo.ArgumentList.Add(fromPeer.GetClientHandleAsString());
        foreach ((string name, string value) in environment)
        {
            startInfo.Environment[name] = value;
        }

        var process = new Process { StartInfo = startInfo };
        try
        {
            process.Start();
        }
        catch
        {
            process.Dispose();
            toPeer.Dispose();
            fromPeer.Dispose();
            throw;
        }
        finally
        {
            // The child has its copies now (or never will); without this the child's end of input never comes.
            toPeer.DisposeLocalCopyOfClientHandle();
            fromPeer.DisposeLocalCopyOfClientHandle();
        }

        ChildProcesses.Track(process);
        process.StandardInput.Close();
        StreamJsonRpcPeerProcess peer;
        try
        {
            peer = new StreamJsonRpcPeerProcess(process, toPeer, fromPeer, formatter);
        }
        catch
        {
            ChildProcesses.Kill(process);
            process.Dispose();
            toPeer.Dispose();
            fromPeer.Dispose();
            throw;
        }

        process.OutputDataReceived += static (_, _) => { };
        process.ErrorDataReceived += peer.OnErrorLine;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return peer;
    }

    /// <inheritdoc/>
    public async ValueTask DisposeAsync()
    {
        _rpc.Dispose();
        try
        {
            await _rpc.Completion.WaitAsync(TimeSpan.FromSeconds(5));
        }
        catch (Exception exception) when (exception is TimeoutException or IOException or ObjectDisposedException or OperationCanceledException or RemoteRpcException)
        {
            // Stopping: how the connection ended does not matter.
        }

        await _toPeer.DisposeAsync();
        await _fromPeer.DisposeAsync();
        ChildProcesses.Kill(_process); // It exits at the end of its input; this kills it if it did not.
        _process.Dispose();
    }

    private void OnErrorLine(object sender, DataReceivedEventArgs line)
    {
        if (line.Data is not null)
        {
            lock (_errors)
            {
                _errors.AppendLine(line.Data);
            }
        }
    }
}
