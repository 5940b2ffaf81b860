using System.Diagnostics;
using PluginIpc.Benchmarks;

namespace PluginIpc.FloorBench;

/// <summary>
/// A generated <see cref="IBenchService"/> proxy against PluginIpc.StreamJsonRpcPeer, as PeerBenchmarks sets them up: PluginIpc's
/// (<c>contract</c>: a <see cref="Plugin"/>, msgpack framing, inherited pipes, health pings off) or StreamJsonRpc's
/// (<c>sjr-*</c>: its <c>JsonRpc</c> with one formatter, two inherited anonymous pipes). Every call, echoes included, goes
/// through the proxy; the same code drives both libraries.
/// </summary>
internal sealed class BenchServiceTarget : IEchoTarget
{
    private static readonly TimeSpan CheckTimeout = TimeSpan.FromSeconds(30);
    private readonly IBenchService _proxy;
    private readonly Func<ValueTask> _stop;
    private readonly byte[] _small = new byte[64];
    private readonly byte[] _large = new byte[64 * 1024];
    private readonly byte[] _huge = new byte[1024 * 1024];
    private readonly Task<byte[]>[] _calls = new Task<byte[]>[64];
    private readonly MovePoint _point = new(1, 2);

    private BenchServiceTarget(IBenchService proxy, int childProcessId, Func<ValueTask> stop)
    {
        _proxy = proxy;
        ChildProcessId = childProcessId;
        _stop = stop;
    }

    public int ChildProcessId { get; }

    public bool CanMove => true;

    /// <summary>Starts the peer as a PluginIpc plugin and returns PluginIpc's proxy on it.</summary>
    public static async Task<BenchServiceTarget> StartPluginIpcAsync()
    {
        var options = new PluginOptions
        {
            ExecutablePath = Children.DotnetPath,
            Framer = "msgpack",
            Transport = PluginTransport.InheritedPipes,
            PingInterval = Timeout.InfiniteTimeSpan,
            StartTimeout = TimeSpan.FromSeconds(30),
        };
        options.Arguments.Add("exec");
        options.Arguments.Add(Children.StreamJsonRpcPeerPath);
        options.Arguments.Add("pluginipc");
        var plugin = new Plugin(options);
        Process? process = null;
        async ValueTask StopAsync()
        {
            await plugin.DisposeAsync();
            if (process is not null)
            {
                ChildProcesses.Kill(process); // nothing left if the plugin already stopped
                process.Dispose();
            }
        }

        try
        {
            await plugin.StartAsync();
            process = Process.GetProcessById(plugin.ProcessId!.Value);
            ChildProcesses.Track(process);
            var target = new BenchServiceTarget(plugin.GetProxy<IBenchService>(), process.Id, StopAsync);
            await target.CheckAnswersAsync("contract");
            return target;
        }
        catch
        {
            await StopAsync();
            throw;
        }
    }

    /// <summary>Starts the peer with StreamJsonRpc's <paramref name="formatter"/> (see <see cref="PeerMessageHandlers"/>) and returns StreamJsonRpc's proxy on it.</summary>
    public static async Task<BenchServiceTarget> StartStreamJsonRpcAsync(string formatter)
    {
        // The harness's environment (DOTNET_TC_DelaySingleProcMultiplier=1) is the child's too; said again as PeerBenchmarks does.
        StreamJsonRpcPeerProcess peer = StreamJsonRpcPeerProcess.Start(formatter, new Dictionary<string, string> { ["DOTNET_TC_DelaySingleProcMultiplier"] = "1" });
        try
        {
            var target = new BenchServiceTarget(peer.Proxy, peer.ProcessId, peer.DisposeAsync);
            await target.CheckAnswersAsync(formatter);
            return target;
        }
        catch (Exception exception)
        {
            string errors = peer.Errors;
            await peer.DisposeAsync();
            throw new InvalidOperationException($"StreamJsonRpc with {formatter} did not answer as expected. {errors}", exception);
        }
    }

    public async ValueTask RoundTripsAsync(int count)
    {
        for (int i = 0; i < count; i++)
        {
            await _proxy.EchoAsync(_small);
        }
    }

    public async ValueTask InFlightAsync(int batches)
    {
        for (int batch = 0; batch < batches; batch++)
        {
            for (int i = 0; i < _calls.Length; i++)
            {
                _calls[i] = _proxy.EchoAsync(_small);
            }

            await Task.WhenAll(_calls);
        }
    }

    public async ValueTask EchoAsync(int size, int count)
    {
        byte[] payload = size == 64 * 1024 ? _large : _huge;
        for (int i = 0; i < count; i++)
        {
            byte[] answer = await _proxy.EchoAsync(payload);
            if (answer.Length != size)
            {
                throw new InvalidOperationException($"The peer answered {answer.Length} bytes to {size}.");
            }
        }
    }

    public async ValueTask MovesAsync(int count)
    {
        for (int i = 0; i < count; i++)
        {
            await _proxy.MoveAsync(_point, 3, 4);
        }
    }

    public ValueTask DisposeAsync() => _stop();

    private async Task CheckAnswersAsync(string name)
    {
        byte[] echoed = await _proxy.EchoAsync(_small).WaitAsync(CheckTimeout);
        MovePoint moved = await _proxy.MoveAsync(_point, 3, 4).WaitAsync(CheckTimeout);
        if (echoed.Length != _small.Length || moved != new MovePoint(4, 6))
        {
            throw new InvalidOperationException($"{name} answered {echoed.Length} bytes to {_small.Length}, and {moved} to a move of {_point} by (3, 4).");
        }
    }
}
