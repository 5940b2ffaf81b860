using System.Buffers.Binary;
using System.Diagnostics;
using System.IO.Pipes;

namespace PluginIpc.FloorBench;

/// <summary>
/// The honest .NET floor, host side: this program in mode <c>floor-child</c> over two inherited anonymous pipes (as
/// PluginIpc's inherited-pipes transport), blocking writes and reads on the thread that calls (a dedicated thread),
/// 4-byte little-endian length + payload frames. 64 in flight = 64 frames in one write, then 64 answers read. The pipes get
/// PluginIpc's 256 KiB buffers unless told not to.
/// </summary>
internal sealed class FloorTarget : IEchoTarget
{
    private readonly Process _process;
    private readonly AnonymousPipeServerStream _toChild;
    private readonly AnonymousPipeServerStream _fromChild;
    private readonly byte[] _small = Frame(64);
    private readonly byte[] _batch = new byte[64 * 68];
    private readonly byte[] _large = Frame(64 * 1024);
    private readonly byte[] _huge = Frame(1024 * 1024);
    private readonly byte[] _readBuffer = new byte[64 * 1024];
    private readonly byte[] _answer = new byte[1024 * 1024];
    private readonly bool _asyncWrites;
    private readonly byte[] _touch = new byte[1024 * int.Parse(Environment.GetEnvironmentVariable("FLOOR_TOUCH_KB") ?? "0", System.Globalization.CultureInfo.InvariantCulture)];
    private int _start;
    private int _end;

    public FloorTarget(bool growPipes, bool asyncWrites = false)
    {
        _asyncWrites = asyncWrites;
        for (int i = 0; i < 64; i++)
        {
            _small.CopyTo(_batch, i * 68);
        }

        _toChild = new AnonymousPipeServerStream(PipeDirection.Out, HandleInheritability.Inheritable);
        _fromChild = new AnonymousPipeServerStream(PipeDirection.In, HandleInheritability.Inheritable);
        var startInfo = new ProcessStartInfo(Children.DotnetPath) { UseShellExecute = false };
        startInfo.ArgumentList.Add("exec");
        startInfo.ArgumentList.Add(typeof(FloorTarget).Assembly.Location);
        startInfo.ArgumentList.Add("floor-child");
        startInfo.Environment["FLOOR_IN_FD"] = _toChild.GetClientHandleAsString();
        startInfo.Environment["FLOOR_OUT_FD"] = _fromChild.GetClientHandleAsString();
        _process = Process.Start(startInfo)!;
        if (growPipes && (PipeSize.Grow((int)_toChild.SafePipeHandle.DangerousGetHandle()) < 0 || PipeSize.Grow((int)_fromChild.SafePipeHandle.DangerousGetHandle()) < 0))
        {
            throw new IOException("F_SETPIPE_SZ failed on the floor's pipes.");
        }

        _toChild.DisposeLocalCopyOfClientHandle();
        _fromChild.DisposeLocalCopyOfClientHandle();
    }

    public int ChildProcessId => _process.Id;

    public bool CanMove => false;

    public ValueTask MovesAsync(int count) => ValueTask.CompletedTask; // no typed calls: a floor moves bytes only

    public ValueTask RoundTripsAsync(int count)
    {
        for (int i = 0; i < count; i++)
        {
            FloorChild.Touch(_touch);
            Write(_small);
            ReadAnswer();
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask InFlightAsync(int batches)
    {
        for (int i = 0; i < batches; i++)
        {
            Write(_batch);
            for (int j = 0; j < 64; j++)
            {
                ReadAnswer();
            }
        }

        return ValueTask.CompletedTask;
    }

    public ValueTask EchoAsync(int size, int count)
    {
        byte[] frame = size == 64 * 1024 ? _large : _huge;
        for (int i = 0; i < count; i++)
        {
            Write(frame);
            ReadAnswer();
        }

        return ValueTask.CompletedTask;
    }

    public async ValueTask DisposeAsync()
    {
        await _toChild.DisposeAsync(); // The child sees its input end and exits.
        await _process.WaitForExitAsync().WaitAsync(TimeSpan.FromSeconds(5));
        await _fromChild.DisposeAsync();
        _process.Dispose();
    }

    private static byte[] Frame(int payloadLength)
    {
        var frame = new byte[4 + payloadLength];
        BinaryPrimitives.WriteInt32LittleEndian(frame, payloadLength);
        return frame;
    }

    /// <summary>
    /// Writes <paramref name="frame"/>: a blocking write, or (floor-async) through <see cref="PipeStream.WriteAsync(ReadOnlyMemory{byte}, CancellationToken)"/>
    /// as PluginIpc's writer does, which on Linux registers the pipe with the runtime's epoll thread: an experiment for the profile.
    /// </summary>
    private void Write(byte[] frame)
    {
        if (_asyncWrites)
        {
            ValueTask write = _toChild.WriteAsync(frame);
            if (!write.IsCompletedSuccessfully)
            {
                write.AsTask().GetAwaiter().GetResult();
            }
        }
        else
        {
            _toChild.Write(frame);
        }
    }

    /// <summary>Reads one answer into <see cref="_answer"/>: from what one read brought in, else straight from the pipe.</summary>
    private void ReadAnswer()
    {
        Fill(4);
        int length = BinaryPrimitives.ReadInt32LittleEndian(_readBuffer.AsSpan(_start));
        _start += 4;
        int buffered = Math.Min(length, _end - _start);
        _readBuffer.AsSpan(_start, buffered).CopyTo(_answer);
        _start += buffered;
        if (buffered < length)
        {
            _fromChild.ReadExactly(_answer.AsSpan(buffered, length - buffered));
        }
    }

    private void Fill(int needed)
    {
        if (_end - _start >= needed)
        {
            return;
        }

        _readBuffer.AsSpan(_start, _end - _start).CopyTo(_readBuffer);
        _end -= _start;
        _start = 0;
        while (_end < needed)
        {
            int read = _fromChild.Read(_readBuffer, _end, _readBuffer.Length - _end);
            if (read == 0)
            {
                throw new EndOfStreamException("The floor's child closed its pipe.");
            }

            _end += read;
        }
    }
}
