using System.Buffers;
using System.Buffers.Binary;
using System.IO.Pipelines;
using BenchmarkDotNet.Attributes;

namespace PluginIpc.Benchmarks;

/// <summary>
/// The floor of <see cref="DispatchBenchmarks"/>: its scenarios over the same in-memory pipes with no library. Frames are a
/// 4-byte little-endian length and a payload; the echo side writes back each frame it reads and flushes once per read; the
/// caller copies each answer's payload into a new array, as a channel hands out its answers.
/// </summary>
[MemoryDiagnoser]
public class InMemoryFloorBenchmarks
{
    private const int Concurrency = 64;
    private const int InARow = 100;
    private const int PayloadBytes = 64;
    private const int FrameBytes = 4 + PayloadBytes;

    private readonly byte[] _frame = new byte[FrameBytes];
    private readonly byte[][] _concurrentFrames = new byte[Concurrency][];
    private readonly Task<int>[] _calls = new Task<int>[Concurrency];
    private readonly TaskCompletionSource<int>?[] _waiting = new TaskCompletionSource<int>?[Concurrency];
    private readonly SemaphoreSlim _writeLock = new(1, 1);
    private Pipe _toEcho = null!;
    private Pipe _fromEcho = null!;
    private Task? _echoLoop;
    private Task? _answerLoop;

    [GlobalSetup]
    public void Setup()
    {
        BinaryPrimitives.WriteInt32LittleEndian(_frame, PayloadBytes);
        for (int i = 0; i < Concurrency; i++)
        {
            _concurrentFrames[i] = (byte[])_frame.Clone();
            BinaryPrimitives.WriteInt32LittleEndian(_concurrentFrames[i].AsSpan(4), i);
        }

        _toEcho = new Pipe();
        _fromEcho = new Pipe();
        _echoLoop = EchoLoopAsync(_toEcho.Reader, _fromEcho.Writer);
    }

    /// <summary>Starts the reader that completes waiting callers; only the concurrent case uses it.</summary>
    [GlobalSetup(Target = nameof(ConcurrentCallers64))]
    public void SetupConcurrent()
    {
        Setup();
        _answerLoop = AnswerLoopAsync();
    }

    [GlobalCleanup]
    public async Task CleanupAsync()
    {
        await _toEcho.Writer.CompleteAsync();
        await _echoLoop!;
        if (_answerLoop is not null)
        {
            await _answerLoop;
        }
    }

    /// <summary>One 64-byte echo, one at a time.</summary>
    [Benchmark(Baseline = true)]
    public async Task<int> RoundTrip() => (await EchoAsync()).Length;

    /// <summary>100 echoes awaited one after another, as async code makes calls in a row; the time is per echo.</summary>
    [Benchmark(OperationsPerInvoke = InARow)]
    public async Task<int> RoundTripAwaitedInARow()
    {
        int total = 0;
        for (int i = 0; i < InARow; i++)
        {
            total += (await EchoAsync()).Length;
        }

        return total;
    }

    /// <summary>
    /// 64 callers at once, the naive way: each writes its frame and flushes under a lock and waits on its own completion
    /// source; one reader completes them by the id in the payload. The time is per call.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Concurrency)]
    public async Task ConcurrentCallers64()
    {
        for (int i = 0; i < Concurrency; i++)
        {
            _calls[i] = CallAsync(i);
        }

        await Task.WhenAll(_calls);
    }

    private static async Task EchoLoopAsync(PipeReader input, PipeWriter output)
    {
        while (true)
        {
            ReadResult result = await input.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (TryTakeFrame(ref buffer, out ReadOnlySequence<byte> frame))
            {
                foreach (ReadOnlyMemory<byte> segment in frame)
                {
                    output.Write(segment.Span);
                }
            }

            input.AdvanceTo(buffer.Start, buffer.End);
            await output.FlushAsync();
            if (result.IsCompleted)
            {
                await output.CompleteAsync();
                return;
            }
        }
    }

    private static bool TryTakeFrame(ref ReadOnlySequence<byte> buffer, out ReadOnlySequence<byte> frame)
    {
        Span<byte> header = stackalloc byte[4];
        if (buffer.Length >= 4)
        {
            buffer.Slice(0, 4).CopyTo(header);
            long length = 4 + BinaryPrimitives.ReadInt32LittleEndian(header);
            if (buffer.Length >= length)
            {
                frame = buffer.Slice(0, length);
                buffer = buffer.Slice(length);
                return true;
            }
        }

        frame = default;
        return false;
    }

    private async ValueTask<byte[]> EchoAsync()
    {
        await _toEcho.Writer.WriteAsync(_frame);
        PipeReader reader = _fromEcho.Reader;
        while (true)
        {
            ReadResult result = await reader.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            if (TryTakeFrame(ref buffer, out ReadOnlySequence<byte> frame))
            {
                byte[] answer = frame.Slice(4).ToArray();
                reader.AdvanceTo(buffer.Start);
                return answer;
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
        }
    }

    private async Task<int> CallAsync(int id)
    {
        var answer = new TaskCompletionSource<int>(TaskCreationOptions.RunContinuationsAsynchronously);
        _waiting[id] = answer;
        await _writeLock.WaitAsync();
        try
        {
            await _toEcho.Writer.WriteAsync(_concurrentFrames[id]);
        }
        finally
        {
            _writeLock.Release();
        }

        return await answer.Task;
    }

    private async Task AnswerLoopAsync()
    {
        PipeReader reader = _fromEcho.Reader;
        while (true)
        {
            ReadResult result = await reader.ReadAsync();
            ReadOnlySequence<byte> buffer = result.Buffer;
            while (TryTakeFrame(ref buffer, out ReadOnlySequence<byte> frame))
            {
                byte[] payload = frame.Slice(4).ToArray();
                int id = BinaryPrimitives.ReadInt32LittleEndian(payload);
                Interlocked.Exchange(ref _waiting[id], null)?.TrySetResult(id);
            }

            reader.AdvanceTo(buffer.Start, buffer.End);
            if (result.IsCompleted)
            {
                return;
            }
        }
    }
}
