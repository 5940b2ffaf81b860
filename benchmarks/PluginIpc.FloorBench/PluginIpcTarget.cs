using PluginIpc.Benchmarks;

namespace PluginIpc.FloorBench;

/// <summary>
/// PluginIpc: a <see cref="Plugin"/> against the EchoPlugin sample over inherited pipes, health pings off; async callers.
/// Byte calls (<c>echo</c>); with the msgpack framer also EchoPlugin's typed <c>bench.move</c>, as PeerBenchmarks calls it.
/// </summary>
internal sealed class PluginIpcTarget : IEchoTarget
{
    private readonly Plugin _plugin;
    private readonly byte[] _small = new byte[64];
    private readonly byte[] _large = new byte[64 * 1024];
    private readonly byte[] _huge = new byte[1024 * 1024];
    private readonly Task<ReadOnlyMemory<byte>>[] _calls = new Task<ReadOnlyMemory<byte>>[64];
    private static readonly TimeSpan BusyPollTime = TimeSpan.FromMicroseconds(50);
    private readonly MovePoint _point = new(1, 2);

    private readonly bool _pooled;

    private PluginIpcTarget(Plugin plugin, bool canMove, bool pooled)
    {
        _plugin = plugin;
        CanMove = canMove;
        _pooled = pooled;
    }

    public int ChildProcessId => _plugin.ProcessId!.Value;

    public bool CanMove { get; }

    /// <summary>
    /// Starts the target <paramref name="name"/>: a framer's name, with <c>-poll</c> for 50 µs of <see cref="PluginOptions.BusyPollTime"/>
    /// (the plugin follows the host's hint), or with <c>-pooled</c> for large echoes called with <see cref="ChunkPeerExtensions.CallPooledAsync(IChunkPeer, string, ReadOnlyMemory{byte}, CancellationToken)"/>.
    /// </summary>
    public static async Task<PluginIpcTarget> StartAsync(string name)
    {
        bool busyPoll = name.EndsWith("-poll", StringComparison.Ordinal);
        bool pooled = name.EndsWith("-pooled", StringComparison.Ordinal);
        string framer = busyPoll ? name[..^"-poll".Length] : pooled ? name[..^"-pooled".Length] : name;
        var options = new PluginOptions
        {
            ExecutablePath = Children.DotnetPath,
            Framer = framer,
            Transport = PluginTransport.InheritedPipes,
            PingInterval = Timeout.InfiniteTimeSpan,
            StartTimeout = TimeSpan.FromSeconds(30),
            BusyPollTime = busyPoll ? BusyPollTime : TimeSpan.Zero,
        };
        options.Arguments.Add("exec");
        options.Arguments.Add(Children.EchoPluginPath); // EchoPlugin polls as the host asks in its environment

        var plugin = new Plugin(options);
        var target = new PluginIpcTarget(plugin, canMove: framer == "msgpack", pooled);
        try
        {
            await plugin.StartAsync();
            if (target.CanMove && await target.MoveAsync() != new MovePoint(4, 6))
            {
                throw new InvalidOperationException("EchoPlugin's bench.move did not answer (4, 6) to (1, 2) moved by (3, 4).");
            }
        }
        catch
        {
            await plugin.DisposeAsync();
            throw;
        }

        return target;
    }

    public async ValueTask RoundTripsAsync(int count)
    {
        for (int i = 0; i < count; i++)
        {
            await _plugin.CallAsync("echo", _small);
        }
    }

    public async ValueTask InFlightAsync(int batches)
    {
        for (int batch = 0; batch < batches; batch++)
        {
            for (int i = 0; i < _calls.Length; i++)
            {
                _calls[i] = _plugin.CallAsync("echo", _small);
            }

            await Task.WhenAll(_calls);
        }
    }

    public async ValueTask EchoAsync(int size, int count)
    {
        byte[] payload = size == 64 * 1024 ? _large : _huge;
        for (int i = 0; i < count; i++)
        {
            int length;
            if (_pooled)
            {
                using PooledBuffer answer = await _plugin.CallPooledAsync("echo", payload);
                length = answer.Memory.Length;
            }
            else
            {
                length = (await _plugin.CallAsync("echo", payload)).Length;
            }

            if (length != size)
            {
                throw new InvalidOperationException($"EchoPlugin answered {length} bytes to {size}.");
            }
        }
    }

    public async ValueTask MovesAsync(int count)
    {
        if (!CanMove)
        {
            return;
        }

        for (int i = 0; i < count; i++)
        {
            await MoveAsync();
        }
    }

    public ValueTask DisposeAsync() => _plugin.DisposeAsync();

    /// <summary>The typed call EchoPlugin answers as <c>bench.move</c> (its default msgpack serializer), a new request per call as PeerBenchmarks makes it.</summary>
    private Task<MovePoint> MoveAsync() => _plugin.CallAsync<MoveRequest, MovePoint>("bench.move", new MoveRequest(_point, 3, 4));
}
