using System.Buffers;

namespace PluginIpc;

/// <summary>
/// Reads the rest of a large chunk's buffer from the input stream straight into the buffer's own array, instead of into
/// the pipe reader's buffer and then copying it out: one copy of the bytes instead of two.
/// </summary>
/// <remarks>
/// The read loop hands over a chunk whose header has arrived but most of whose buffer has not. Only for channels over
/// streams with a built-in framer, and only for buffers up to <see cref="MaxBufferBytes"/>: the array is allocated before
/// its bytes arrive, so the peer's claim alone must never cost more than that. Used by one read loop at a time.
/// </remarks>
internal sealed class DirectBufferReader
{
    /// <summary>At least this many of the buffer's bytes must still be missing, or reading them through the pipe is as cheap.</summary>
    public const int MinMissingBytes = 16 * 1024;

    /// <summary>The largest buffer read this way.</summary>
    public const int MaxBufferBytes = 1024 * 1024;

    private readonly Stream _input;
    private readonly IChunkHeaderReader _headers;
    private readonly ChannelTelemetry? _telemetry;
    private readonly Func<ChunkHeader, bool>? _rentsFor;
    private ChunkHeader _header;
    private RentedBuffer? _rented;
    private byte[]? _buffer;
    private int _filled;

    private DirectBufferReader(Stream input, IChunkHeaderReader headers, ChannelTelemetry? telemetry, Func<ChunkHeader, bool>? rentsFor)
    {
        _input = input;
        _headers = headers;
        _telemetry = telemetry;
        _rentsFor = rentsFor;
    }

    /// <summary>Creates a reader for a channel over <paramref name="input"/>, or returns <see langword="null"/> when the channel has no input stream or <paramref name="framer"/> cannot read headers alone.</summary>
    /// <param name="input">The channel's input stream.</param>
    /// <param name="framer">The channel's framer.</param>
    /// <param name="telemetry">Counts the bytes read.</param>
    /// <param name="rentsFor">Says whether a chunk's buffer goes to a consumer that gives a rented array back (<see cref="RentedBuffer"/>).</param>
    public static DirectBufferReader? Create(Stream? input, IChunkFramer framer, ChannelTelemetry? telemetry, Func<ChunkHeader, bool>? rentsFor = null) =>
        input is not null && framer is IChunkHeaderReader headers ? new DirectBufferReader(input, headers, telemetry, rentsFor) : null;

    /// <summary>
    /// Takes the chunk at the start of <paramref name="unread"/> when it is large and most of its buffer is still to come:
    /// copies the part that has arrived and slices it all off <paramref name="unread"/>, which is then empty.
    /// </summary>
    /// <param name="unread">What is left of the last read: the start of one incomplete chunk.</param>
    /// <returns><see langword="true"/> if the chunk was taken; <see cref="ReadRestAsync"/> must then be called.</returns>
    public bool TryTake(ref ReadOnlySequence<byte> unread)
    {
        ReadOnlySequence<byte> arrived = unread;
        if (!_headers.TryReadHeader(ref arrived, out ChunkHeader header)
            || header.BufferLength > MaxBufferBytes
            || header.BufferLength - arrived.Length < MinMissingBytes)
        {
            return false;
        }

        _rented = _rentsFor?.Invoke(header) == true ? new RentedBuffer(header.BufferLength) : null;
        byte[] buffer = _rented?.Array ?? PayloadArray.Allocate(header.BufferLength);
        arrived.CopyTo(buffer);
        _filled = (int)arrived.Length;
        _header = header;
        _buffer = buffer;
        unread = unread.Slice(unread.End);
        return true;
    }

    /// <summary>Reads the rest of the taken chunk's buffer and returns the whole chunk.</summary>
    /// <param name="cancellationToken">Cancelled when the channel shuts down.</param>
    /// <exception cref="ProtocolException">The input ended before the buffer was complete.</exception>
    public async ValueTask<Chunk> ReadRestAsync(CancellationToken cancellationToken)
    {
        byte[] buffer = _buffer ?? throw new InvalidOperationException("No chunk was taken.");
        _buffer = null;
        int length = _header.BufferLength; // a rented array may be longer: reading past it would take the next chunk's bytes
        while (_filled < length)
        {
            int read = await _input.ReadAsync(buffer.AsMemory(_filled, length - _filled), cancellationToken).ConfigureAwait(false);
            if (read == 0)
            {
                throw new ProtocolException($"The input ended inside a chunk: {_filled} of the {length} bytes of the buffer of a '{_header.Cmd}' chunk had arrived.");
            }

            _filled += read;
            _telemetry?.RecordReceived(read);
        }

        ReadOnlyMemory<byte> memory = _rented is { } rented ? rented.Memory : buffer;
        _rented = null; // the chunk's consumer owns it now
        return new Chunk { ThreadId = _header.ThreadId, Direction = _header.Direction, Cmd = _header.Cmd, Buffer = memory };
    }
}
