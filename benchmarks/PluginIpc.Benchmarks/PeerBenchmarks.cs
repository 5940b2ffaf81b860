using System.Diagnostics;
using BenchmarkDotNet.Attributes;

namespace PluginIpc.Benchmarks;

/// <summary>
/// PluginIpc beside StreamJsonRpc, in one run, each against a child process over two inherited anonymous pipes: PluginIpc's
/// <see cref="Plugin"/> (msgpack framing, <see cref="PluginTransport.InheritedPipes"/>) against the EchoPlugin sample, and
/// StreamJsonRpc's <c>JsonRpc</c> with its generated <see cref="IBenchService"/> proxy against PluginIpc.StreamJsonRpcPeer,
/// with each of its formatters. Every child is warmed up for <see cref="WarmUpTime"/> in the global setup before
/// BenchmarkDotNet's own warm-up, which counts iterations rather than time.
/// </summary>
/// <remarks>Allocations are the benchmark process's only (the caller's side), per call.</remarks>
[MemoryDiagnoser]
[MedianColumn]
[Config(typeof(ProcessConfig))]
[MedianCallsPerSecondColumn]
public class PeerBenchmarks
{
    /// <summary>PluginIpc, msgpack framing, byte calls and its typed call (default msgpack serializer).</summary>
    public const string PluginIpcMsgpack = "PluginIpc-msgpack-framer";

    /// <summary>PluginIpc, msgpack framing, its generated <see cref="IBenchService"/> proxy against the peer's generated dispatcher (default msgpack serializer).</summary>
    public const string PluginIpcContract = "PluginIpc-contract";

    /// <summary>StreamJsonRpc with its MessagePackFormatter (MessagePack-CSharp) and LengthHeaderMessageHandler.</summary>
    public const string StreamJsonRpcMessagePack = "StreamJsonRpc-MessagePack";

    /// <summary>StreamJsonRpc with its NerdbankMessagePackFormatter and LengthHeaderMessageHandler, the fastest per its docs.</summary>
    public const string StreamJsonRpcNerdbankMessagePack = "StreamJsonRpc-NerdbankMessagePack";

    /// <summary>StreamJsonRpc with its SystemTextJsonFormatter (source-generated context) and HeaderDelimitedMessageHandler.</summary>
    public const string StreamJsonRpcSystemTextJson = "StreamJsonRpc-SystemTextJson";

    private const int InFlight = 64;
    private static readonly TimeSpan WarmUpTime = TimeSpan.FromSeconds(3);

    // Children wait as long before tiering up as on several CPUs, pinned or not (see Program.cs).
    private static readonly Dictionary<string, string> s_childEnvironment = new() { ["DOTNET_TC_DelaySingleProcMultiplier"] = "1" };

    private readonly byte[] _payload = new byte[64];
    private readonly MovePoint _point = new(1, 2);
    private readonly Task[] _calls = new Task[InFlight];
    private Plugin? _plugin;
    private Plugin? _contractPlugin;
    private Process? _pluginProcess;
    private StreamJsonRpcPeerProcess? _peer;
    private IBenchService? _proxy;

    /// <summary>Gets or sets the library (and StreamJsonRpc's formatter) under test.</summary>
    [Params(PluginIpcMsgpack, PluginIpcContract, StreamJsonRpcMessagePack, StreamJsonRpcNerdbankMessagePack, StreamJsonRpcSystemTextJson)]
    public string Peer { get; set; } = PluginIpcMsgpack;

    [GlobalSetup]
    public async Task SetupAsync()
    {
        try
        {
            if (Peer == PluginIpcMsgpack)
            {
                await StartPluginAsync("exec", ChildProcesses.Locate("EchoPlugin"));
            }
            else if (Peer == PluginIpcContract)
            {
                await StartPluginAsync("exec", ChildProcesses.Locate("PluginIpc.StreamJsonRpcPeer"), "pluginipc");
                _contractPlugin = _plugin;
                _plugin = null; // the byte and typed call sites below are EchoPlugin's: this peer is called through its proxy
                _proxy = _contractPlugin!.GetProxy<IBenchService>();
            }
            else
            {
                _peer = StreamJsonRpcPeerProcess.Start(Peer["StreamJsonRpc-".Length..], s_childEnvironment);
                _proxy = _peer.Proxy;
            }

            await CheckAnswersAsync();
            await WarmUpAsync();
        }
        catch (Exception exception)
        {
            string errors = _peer?.Errors ?? string.Empty;
            await CleanupAsync();
            throw new InvalidOperationException($"{Peer} did not start or answer as expected. {errors}", exception);
        }
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        if (_plugin is not null)
        {
            await _plugin.DisposeAsync();
            _plugin = null;
        }

        if (_contractPlugin is not null)
        {
            await _contractPlugin.DisposeAsync();
            _contractPlugin = null;
            _proxy = null;
        }

        if (_pluginProcess is not null)
        {
            ChildProcesses.Kill(_pluginProcess); // Nothing left if the plugin already stopped.
            _pluginProcess.Dispose();
            _pluginProcess = null;
        }

        if (_peer is not null)
        {
            await _peer.DisposeAsync();
            _peer = null;
            _proxy = null;
        }
    }

    /// <summary>One 64-byte echo at a time.</summary>
    [Benchmark]
    public async Task<int> Echo64() =>
        _plugin is not null ? (await PluginIpcEchoAsync(_payload)).Length : (await _proxy!.EchoAsync(_payload)).Length;

    /// <summary>One typed call at a time: <c>MoveAsync(new MovePoint(1, 2), 3, 4)</c>.</summary>
    [Benchmark]
    public async Task<int> Move() =>
        (_plugin is not null ? await PluginIpcMoveAsync(_point, 3, 4) : await _proxy!.MoveAsync(_point, 3, 4)).X;

    /// <summary>64 echoes of 64 bytes in flight at once; the time is per call, the calls per second are per call.</summary>
    [Benchmark(OperationsPerInvoke = InFlight)]
    public Task Echo64x64()
    {
        if (_plugin is not null)
        {
            for (int i = 0; i < InFlight; i++)
            {
                _calls[i] = PluginIpcEchoAsync(_payload);
            }
        }
        else
        {
            for (int i = 0; i < InFlight; i++)
            {
                _calls[i] = _proxy!.EchoAsync(_payload);
            }
        }

        return Task.WhenAll(_calls);
    }

    // PluginIpc's byte and typed call sites (EchoPlugin), beside its generated IBenchService proxy (Peer = PluginIpc-contract).

    /// <summary>PluginIpc's echo: the byte call.</summary>
    private Task<ReadOnlyMemory<byte>> PluginIpcEchoAsync(byte[] payload) => _plugin!.CallAsync("echo", payload);

    /// <summary>PluginIpc's move: the typed call EchoPlugin answers as <c>bench.move</c>.</summary>
    private Task<MovePoint> PluginIpcMoveAsync(MovePoint point, int dx, int dy) =>
        _plugin!.CallAsync<MoveRequest, MovePoint>("bench.move", new MoveRequest(point, dx, dy));

    private async Task StartPluginAsync(params string[] arguments)
    {
        var options = new PluginOptions
        {
            ExecutablePath = ChildProcesses.DotnetPath,
            Framer = "msgpack",
            Transport = PluginTransport.InheritedPipes,
            PingInterval = Timeout.InfiniteTimeSpan,
            StartTimeout = TimeSpan.FromSeconds(30),
        };
        foreach (string argument in arguments)
        {
            options.Arguments.Add(argument);
        }

        foreach ((string name, string value) in s_childEnvironment)
        {
            options.Environment[name] = value;
        }

        _plugin = new Plugin(options);
        await _plugin.StartAsync();
        _pluginProcess = Process.GetProcessById(_plugin.ProcessId!.Value);
        ChildProcesses.Track(_pluginProcess);
    }

    private async Task CheckAnswersAsync()
    {
        int echoed = await Echo64();
        MovePoint moved = _plugin is not null ? await PluginIpcMoveAsync(_point, 3, 4) : await _proxy!.MoveAsync(_point, 3, 4);
        if (echoed != _payload.Length || moved != new MovePoint(4, 6))
        {
            throw new InvalidOperationException($"{Peer} answered {echoed} bytes to {_payload.Length}, and {moved} to a move of {_point} by (3, 4).");
        }
    }

    /// <summary>Runs every scenario in turn for <see cref="WarmUpTime"/>, so that both processes run tiered-up code before BenchmarkDotNet measures.</summary>
    private async Task WarmUpAsync()
    {
        var clock = Stopwatch.StartNew();
        while (clock.Elapsed < WarmUpTime)
        {
            for (int i = 0; i < 100; i++)
            {
                await Echo64();
                await Move();
                await Echo64x64();
            }
        }
    }
}
