using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;
using System.Text.Unicode;

namespace PluginIpc;

/// <summary>
/// The <c>text</c> framing: <c>threadId NUL direction NUL byteLength(cmd) NUL cmd byteLength(buffer) NUL buffer</c>,
/// with numbers in ASCII decimal.
/// </summary>
/// <remarks>
/// <para>This framing does not carry <see cref="Chunk.Headers"/>: <see cref="Write"/> drops them and <see cref="TryRead"/> never sets them.</para>
/// <para>Instances keep no per-connection state and are safe to use from many threads at once.</para>
/// </remarks>
public sealed class NullTerminatedFramer : IChunkFramer, IChunkHeaderReader, IOutgoingChunkFramer, IReceivedChunkReader, IChunkPrefixWriter
{
    private const byte Nul = 0;

    // threadId NUL direction NUL cmdLength NUL, then bufferLength NUL after the cmd.
    private const int MaxHeaderBytes = AsciiDecimal.MaxDigits + 1 + 1 + 1 + AsciiDecimal.MaxDigits + 1;
    private const int MaxBufferLengthBytes = AsciiDecimal.MaxDigits + 1;

    private const ulong MaxDirection = (ulong)Direction.Cancel;

    private readonly FramerOptions _options;

    /// <summary>The framing's name on the wire and in settings: <c>text</c>.</summary>
    public const string FramerName = "text";

    /// <summary>Initializes a new instance with the protocol's default limits.</summary>
    public NullTerminatedFramer()
        : this(new FramerOptions())
    {
    }

    /// <summary>Initializes a new instance with <paramref name="options"/>.</summary>
    /// <param name="options">The limits to enforce.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <paramref name="options"/> is not positive or is too large.</exception>
    public NullTerminatedFramer(FramerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        // A validated copy: the caller's instance may still change (init-only properties can be set through reflection).
        _options = options.Snapshot();
    }

    /// <inheritdoc/>
    public string Name => FramerName;

    /// <inheritdoc/>
    /// <remarks>
    /// Headers are not written. A command that UTF-8 cannot carry (one with an unpaired surrogate) is rejected, not replaced.
    /// The buffer is copied in pieces, so <paramref name="output"/> never needs one span of the buffer's size.
    /// </remarks>
    /// <exception cref="ArgumentNullException"><paramref name="chunk"/>, its command, or <paramref name="output"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The chunk's direction is not one of the five defined values.</exception>
    /// <exception cref="ArgumentException">The command holds an unpaired surrogate; nothing is written.</exception>
    public void Write(Chunk chunk, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        WriteFields(new OutgoingChunk(chunk), output);
    }

    /// <inheritdoc/>
    void IOutgoingChunkFramer.Write(in OutgoingChunk chunk, IBufferWriter<byte> output) => WriteFields(chunk, output);

    /// <inheritdoc/>
    bool IChunkPrefixWriter.TryWritePrefix(in OutgoingChunk chunk, IBufferWriter<byte> output)
    {
        WritePrefix(chunk, output);
        return true; // the text framing ends every chunk with its buffer
    }

    private void WriteFields(in OutgoingChunk chunk, IBufferWriter<byte> output)
    {
        WritePrefix(chunk, output);
        ReadOnlySpan<byte> buffer = chunk.Buffer.Span;
        while (!buffer.IsEmpty)
        {
            Span<byte> destination = output.GetSpan();
            int count = Math.Min(destination.Length, buffer.Length);
            buffer[..count].CopyTo(destination);
            output.Advance(count);
            buffer = buffer[count..];
        }
    }

    /// <summary>Checks every field, then writes all of the chunk but its buffer's bytes.</summary>
    private void WritePrefix(in OutgoingChunk chunk, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(chunk.Cmd, "chunk.Cmd");

        Direction direction = chunk.Direction;
        if ((ulong)direction > MaxDirection)
        {
            ThrowDirectionOutOfRange(direction, nameof(chunk));
        }

        string cmd = chunk.Cmd;
        int cmdLength = StrictUtf8.GetByteCount(cmd, "cmd");
        if (cmdLength > _options.MaxCmdBytes)
        {
            ThrowCmdTooLong(cmdLength, _options.MaxCmdBytes);
        }

        int bufferLength = chunk.Buffer.Length;
        if (bufferLength > _options.MaxChunkBytes)
        {
            ThrowBufferTooLong(bufferLength, _options.MaxChunkBytes);
        }

        Span<byte> span = output.GetSpan(MaxHeaderBytes + cmdLength + MaxBufferLengthBytes);
        int written = AsciiDecimal.Write(chunk.ThreadId, span);
        span[written++] = Nul;
        span[written++] = (byte)('0' + (byte)direction);
        span[written++] = Nul;
        written += AsciiDecimal.Write((ulong)cmdLength, span[written..]);
        span[written++] = Nul;
        written += Encoding.UTF8.GetBytes(cmd, span[written..]);
        written += AsciiDecimal.Write((ulong)bufferLength, span[written..]);
        span[written++] = Nul;
        output.Advance(written);
    }

    /// <inheritdoc/>
    /// <remarks>
    /// Each number is checked digit by digit, so a bad byte, a 21st digit, a leading zero or a value over the field's
    /// range or limit is reported as soon as it arrives. The command is checked for UTF-8 as soon as its bytes arrive.
    /// Nothing is allocated until the whole chunk is there; the chunk's buffer is then a copy of exactly its length.
    /// </remarks>
    public bool TryRead(ref ReadOnlySequence<byte> input, out Chunk? chunk)
    {
        bool read = TryReadFields(ref input, out ReceivedChunk received);
        chunk = read ? received.ToChunk() : null;
        return read;
    }

    /// <inheritdoc/>
    bool IReceivedChunkReader.TryReadReceived(ref ReadOnlySequence<byte> input, out ReceivedChunk chunk) => TryReadFields(ref input, out chunk);

    private bool TryReadFields(ref ReadOnlySequence<byte> input, out ReceivedChunk chunk)
    {
        // A read that spans segments mostly holds chunks that lie within one: those are parsed on the span too. A chunk that
        // runs past the first segment is incomplete there, never different, so it is parsed again across the segments.
        if (TryReadSingleSegment(ref input, out chunk))
        {
            return true;
        }

        if (input.IsSingleSegment)
        {
            return false;
        }

        var reader = new SequenceReader<byte>(input);
        if (!TryReadHeader(ref reader, input, out ulong threadId, out ulong direction, out ReadOnlySequence<byte> cmdBytes, out long cmdOffset, out int bufferLength)
            || reader.Remaining < bufferLength)
        {
            return false;
        }

        ReadOnlyMemory<byte> buffer = ReadOnlyMemory<byte>.Empty;
        if (bufferLength > 0)
        {
            buffer = PayloadArray.CopyOf(reader.UnreadSequence.Slice(0, bufferLength));
            reader.Advance(bufferLength);
        }

        chunk = new ReceivedChunk(threadId, (Direction)direction, Utf8StringCache.GetString(cmdBytes, cmdOffset), buffer);
        input = input.Slice(reader.Position);
        return true;
    }

    /// <inheritdoc/>
    bool IChunkHeaderReader.TryReadHeader(ref ReadOnlySequence<byte> input, out ChunkHeader header)
    {
        var reader = new SequenceReader<byte>(input);
        if (!TryReadHeader(ref reader, input, out ulong threadId, out ulong direction, out ReadOnlySequence<byte> cmdBytes, out long cmdOffset, out int bufferLength))
        {
            header = default;
            return false;
        }

        header = new ChunkHeader(threadId, (Direction)direction, Utf8StringCache.GetString(cmdBytes, cmdOffset), bufferLength);
        input = input.Slice(reader.Position);
        return true;
    }

    /// <summary>Reads and checks the fields before the buffer, leaving <paramref name="reader"/> at the buffer's first byte.</summary>
    /// <returns><see langword="false"/> if they are not all there yet.</returns>
    private bool TryReadHeader(
        ref SequenceReader<byte> reader,
        in ReadOnlySequence<byte> input,
        out ulong threadId,
        out ulong direction,
        out ReadOnlySequence<byte> cmdBytes,
        out long cmdOffset,
        out int bufferLength)
    {
        direction = 0;
        cmdBytes = default;
        cmdOffset = 0;
        bufferLength = 0;
        if (!AsciiDecimal.TryRead(ref reader, ulong.MaxValue, "threadId", out threadId)
            || !AsciiDecimal.TryRead(ref reader, MaxDirection, "direction", out direction)
            || !AsciiDecimal.TryRead(ref reader, (ulong)_options.MaxCmdBytes, "cmd length", out ulong cmdLengthValue))
        {
            return false;
        }

        // Within MaxCmdBytes, hence within int.
        int cmdLength = (int)cmdLengthValue;
        cmdOffset = reader.Consumed;
        if (reader.Remaining < cmdLength)
        {
            ValidateCmd(input.Slice(reader.Position), cmdOffset, complete: false);
            return false;
        }

        cmdBytes = input.Slice(reader.Position, cmdLength);
        ValidateCmd(cmdBytes, cmdOffset, complete: true);
        reader.Advance(cmdLength);

        if (!AsciiDecimal.TryRead(ref reader, (ulong)_options.MaxChunkBytes, "buffer length", out ulong bufferLengthValue))
        {
            return false;
        }

        // Within MaxChunkBytes, hence within int.
        bufferLength = (int)bufferLengthValue;
        return true;
    }

    /// <summary>The same as <see cref="TryRead"/>, on the first segment of <paramref name="input"/> alone.</summary>
    private bool TryReadSingleSegment(ref ReadOnlySequence<byte> input, out ReceivedChunk chunk)
    {
        chunk = default;
        ReadOnlySpan<byte> span = input.FirstSpan;
        int position = 0;

        if (!AsciiDecimal.TryRead(span, ref position, ulong.MaxValue, "threadId", out ulong threadId)
            || !AsciiDecimal.TryRead(span, ref position, MaxDirection, "direction", out ulong direction)
            || !AsciiDecimal.TryRead(span, ref position, (ulong)_options.MaxCmdBytes, "cmd length", out ulong cmdLengthValue))
        {
            return false;
        }

        int cmdLength = (int)cmdLengthValue;
        int cmdOffset = position;
        if (span.Length - position < cmdLength)
        {
            ValidateCmd(span[position..], cmdOffset, complete: false);
            return false;
        }

        ReadOnlySpan<byte> cmdBytes = span.Slice(position, cmdLength);
        if (!Utf8StringCache.TryGetCached(cmdBytes, out string? cmd))
        {
            ValidateCmd(cmdBytes, cmdOffset, complete: true);
        }

        position += cmdLength;

        if (!AsciiDecimal.TryRead(span, ref position, (ulong)_options.MaxChunkBytes, "buffer length", out ulong bufferLengthValue))
        {
            return false;
        }

        int bufferLength = (int)bufferLengthValue;
        if (span.Length - position < bufferLength)
        {
            return false;
        }

        ReadOnlyMemory<byte> buffer = bufferLength == 0
            ? ReadOnlyMemory<byte>.Empty
            : PayloadArray.CopyOf(span.Slice(position, bufferLength));
        position += bufferLength;

        chunk = new ReceivedChunk(threadId, (Direction)direction, cmd ?? Utf8StringCache.GetString(cmdBytes, cmdOffset), buffer);
        input = input.Slice(position);
        return true;
    }

    /// <summary>Checks that <paramref name="cmd"/> is UTF-8, or, when not <paramref name="complete"/>, the start of UTF-8.</summary>
    private static void ValidateCmd(in ReadOnlySequence<byte> cmd, long offset, bool complete) =>
        SequenceScratch.Apply(cmd, (offset, complete), static (bytes, state) =>
        {
            ValidateCmd(bytes, state.offset, state.complete);
            return true;
        });

    private static void ValidateCmd(ReadOnlySpan<byte> cmd, long offset, bool complete)
    {
        int bad = Utf8Text.FindInvalid(cmd, complete);
        if (bad >= 0)
        {
            ThrowInvalidCmd(offset, cmd[bad], offset + bad, complete);
        }
    }

    [DoesNotReturn]
    private static void ThrowInvalidCmd(long offset, byte b, long byteOffset, bool complete)
    {
        string reason = complete ? "not valid UTF-8" : "can never become valid UTF-8";
        throw new ProtocolException($"text framing: cmd at offset {offset}: {reason}, byte 0x{b:x2} at offset {byteOffset}.");
    }

    [DoesNotReturn]
    private static void ThrowDirectionOutOfRange(Direction direction, string paramName) =>
        throw new ArgumentOutOfRangeException(paramName, direction, "The chunk's direction must be 0 to 4.");

    [DoesNotReturn]
    private static void ThrowCmdTooLong(int length, int max) =>
        throw new ProtocolException($"text framing: cmd is {length} UTF-8 bytes, over the limit of {max} (MaxCmdBytes).");

    [DoesNotReturn]
    private static void ThrowBufferTooLong(int length, int max) =>
        throw new ProtocolException($"text framing: buffer is {length} bytes, over the limit of {max} (MaxChunkBytes).");
}
