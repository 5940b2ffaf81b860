using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipes;
using BenchmarkDotNet.Attributes;

namespace PluginIpc.Benchmarks;

/// <summary>
/// The floor: the scenarios of <see cref="ProcessBenchmarks"/> with no library. The child (PluginIpc.FloorEcho) echoes
/// frames of a 4-byte little-endian length and a payload over two anonymous pipes passed as PluginIpc passes them
/// (inherited descriptors named in environment variables, or stdin and stdout); this side uses the pipe streams directly,
/// reads through a <see cref="BufferedStream"/> and writes each message with one write, the naive way.
/// </summary>
[MemoryDiagnoser]
[Config(typeof(ProcessConfig))]
public class FloorBenchmarks
{
    private const int Concurrency = 64;

    private readonly byte[] _small = Frame(64);
    private readonly byte[] _large = Frame(64 * 1024);
    private readonly byte[] _huge = Frame(1024 * 1024);
    private readonly byte[] _answer = new byte[1024 * 1024];
    private readonly Task<int>[] _calls = new Task<int>[Concurrency];
    private readonly TaskCompletionSource<int>?[] _waiting = new TaskCompletionSource<int>?[Concurrency];
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private readonly byte[][] _concurrentFrames = new byte[Concurrency][];
    private Process? _process;
    private Stream _toChild = null!;
    private Stream _fromChild = null!;
    private Task? _readLoop;

    /// <summary>Gets or sets the streams between this process and the child.</summary>
    [Params(PluginTransport.InheritedPipes, PluginTransport.Stdio)]
    public PluginTransport Transport { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var startInfo = new ProcessStartInfo(ChildProcesses.DotnetPath) { UseShellExecute = false };
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(ChildProcesses.Locate("PluginIpc.FloorEcho"));
        try
        {
            if (Transport == PluginTransport.InheritedPipes)
            {
                var toChild = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.Inheritable);
                var fromChild = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
                _toChild = toChild;
                _fromChild = new BufferedStream(fromChild, 64 * 1024);
                startInfo.Environment["PLUGINIPC_IN_FD"] = toChild.GetClientHandleAsString();
                startInfo.Environment["PLUGINIPC_OUT_FD"] = fromChild.GetClientHandleAsString();
                _process = Process.Start(startInfo)!;
                toChild.DisposeLocalCopyOfClientHandle();
                fromChild.DisposeLocalCopyOfClientHandle();
            }
            else
            {
                startInfo.RedirectStandardInput = true;
                startInfo.RedirectStandardOutput = true;
                _process = Process.Start(startInfo)!;
                _toChild = _process.StandardInput.BaseStream;
                _fromChild = new BufferedStream(_process.StandardOutput.BaseStream, 64 * 1024);
            }

            ChildProcesses.Track(_process);
            for (int i = 0; i < Concurrency; i++)
            {
                _concurrentFrames[i] = Frame(64);
                BinaryPrimitives.WriteInt32LittleEndian(_concurrentFrames[i].AsSpan(4), i);
            }

            if (EchoAsync(_huge).AsTask().GetAwaiter().GetResult() != _huge.Length - 4)
            {
                throw new InvalidOperationException("FloorEcho answered with the wrong length.");
            }
        }
        catch
        {
            Cleanup();
            throw;
        }
    }

    /// <summary>Starts the reader that dispatches answers to waiting callers; only the concurrent case uses it.</summary>
    [GlobalSetup(Target = nameof(Concurrent64))]
    public void SetupConcurrent()
    {
        Setup();
        _readLoop = Task.Run(ReadLoopAsync);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _toChild?.Dispose(); // The child sees its input end and exits.
        if (_process is not null)
        {
            if (!_process.WaitForExit(5_000))
            {
                ChildProcesses.Kill(_process);
            }

            ChildProcesses.Forget(_process.Id);
            _process.Dispose();
            _process = null;
        }

        _fromChild?.Dispose();
        try
        {
            _readLoop?.Wait(5_000);
        }
        catch (AggregateException)
        {
            // The read loop ends with the pipe.
        }
    }

    /// <summary>One 64-byte echo at a time: one write, then read the answer's length and payload.</summary>
    [Benchmark]
    public ValueTask<int> RoundTrip64() => EchoAsync(_small);

    /// <summary>The same with blocking reads and writes: no thread pool, no async machinery; a lower bound, not the naive async client.</summary>
    [Benchmark]
    public int RoundTrip64Sync()
    {
        _toChild.Write(_small);
        _fromChild.ReadExactly(_answer.AsSpan(0, 4));
        int length = BinaryPrimitives.ReadInt32LittleEndian(_answer);
        _fromChild.ReadExactly(_answer.AsSpan(0, length));
        return length;
    }

    /// <summary>
    /// 64 callers at once, the naive way: each writes its frame under a lock with one write and flush and waits on its own
    /// completion source; one reader completes them by the id in the payload. The time is per call.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Concurrency)]
    public async Task Concurrent64()
    {
        for (int i = 0; i < Concurrency; i++)
        {
            _calls[i] = CallAsync(i);
        }

        await Task.WhenAll(_calls);
    }

    /// <summary>One 64 KiB echo at a time.</summary>
    [Benchmark]
    [PayloadBytes(64 * 1024)]
    public ValueTask<int> Echo64KiB() => EchoAsync(_large);

    /// <summary>One 1 MiB echo at a time.</summary>
    [Benchmark]
    [PayloadBytes(1024 * 1024)]
    public ValueTask<int> Echo1MiB() => EchoAsync(_huge);

    private static byte[] Frame(int payloadLength)
    {
        var frame = new byte[4 + payloadLength];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payloadLength);
        return frame;
    }

    private async ValueTask<int> EchoAsync(byte[] frame)
    {
        await _toChild.WriteAsync(frame);
        await _fromChild.ReadExactlyAsync(_answer.AsMemory(0, 4));
        int length = BinaryPrimitives.ReadInt32LittleEndian(_answer);
        await _fromChild.ReadExactlyAsync(_answer.AsMemory(0, length));
        return length;
    }

    private async Task<int> CallAsync(int id)
    {
        var answer = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[id] = answer;
        await _writeLock.WaitAsync();
        try
        {
            await _toChild.WriteAsync(_concurrentFrames[id]);
            await _toChild.FlushAsync();
        }
        finally
        {
            _writeLock.Release();
        }

        return await answer.Task;
    }

    private async Task ReadLoopAsync()
    {
        byte[] frame = new byte[64];
        while (true)
        {
            try
            {
                await _fromChild.ReadExactlyAsync(frame.AsMemory(0, 4));
                int length = BinaryPrimitives.ReadInt32LittleEndian(frame);
                await _fromChild.ReadExactlyAsync(frame.AsMemory(0, length));
            }
            catch (Exception ex) when (ex is EndOfStreamException or IOException or ObjectDisposedException)
            {
                return;
            }

            int id = BinaryPrimitives.ReadInt32LittleEndian(frame);
            Interlocked.Exchange(ref _waiting[id], null)?.TrySetResult(id);
        }
    }
}
