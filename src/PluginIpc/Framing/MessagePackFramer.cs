using System.Buffers;
using System.Buffers.Binary;
using System.Diagnostics;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using System.Text;
using System.Text.Unicode;
using MessagePack;

namespace PluginIpc;

/// <summary>The <c>msgpack</c> framing: each chunk is one MessagePack array <c>[threadId, direction, cmd, buffer, headers?]</c>.</summary>
/// <remarks>
/// <para>
/// Writes use the shortest encoding of every value, <c>bin</c> for the buffer, and four elements unless there are headers.
/// Reads accept any width of int, str, bin, array and map, non-negative signed ints, <c>nil</c> for an empty buffer or for
/// no headers, and four or five elements; unknown header keys are kept, and the last of duplicate keys wins.
/// </para>
/// <para>
/// The bytes are written by MessagePack-CSharp's <see cref="MessagePackWriter"/> and read by its <see cref="MessagePackReader"/>,
/// through <see cref="MessagePackFieldReader"/>, which holds each field to the framing's types and limits before the library
/// reads it. One exception, for speed: the chunk most writers send (whole in the input's first segment, no headers, the
/// usual encodings) is read on the span, since the reader alone takes longer than this whole read; that path never throws,
/// and anything else, every error included, goes to the reader.
/// </para>
/// <para>Thread safe: an instance keeps no state between calls and may serve many channels at once.</para>
/// </remarks>
public sealed class MessagePackFramer : IChunkFramer, IChunkHeaderReader, IOutgoingChunkFramer, IReceivedChunkReader, IChunkPrefixWriter
{
    /// <summary>The framing's name on the wire and in settings: <c>msgpack</c>.</summary>
    public const string FramerName = "msgpack";

    /// <summary>The largest number of header entries a chunk may carry.</summary>
    internal const int MaxHeaderCount = 1024;

    /// <summary>
    /// The longest str or bin whose header MessagePackWriter writes. It asks the output for one span of the header and the
    /// whole value; longer values (str 32, bin 32) are written in pieces instead, so a large buffer never needs one span of
    /// its size.
    /// </summary>
    private const int MaxContiguousValueBytes = ushort.MaxValue;

    private const byte FixArrayOf4 = MessagePackCode.MinFixArray | 4;
    private const byte FixArrayOf5 = MessagePackCode.MinFixArray | 5;

    private readonly int _maxCmdBytes;
    private readonly int _maxChunkBytes;

    /// <summary>Initializes a new instance with the protocol's default limits.</summary>
    public MessagePackFramer()
        : this(new FramerOptions())
    {
    }

    /// <summary>Initializes a new instance with <paramref name="options"/>.</summary>
    /// <param name="options">The limits to enforce. Header keys and values are held to <see cref="FramerOptions.MaxCmdBytes"/> each.</param>
    /// <exception cref="ArgumentNullException"><paramref name="options"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">A limit in <paramref name="options"/> is out of range.</exception>
    public MessagePackFramer(FramerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        FramerOptions validated = options.Snapshot();
        _maxCmdBytes = validated.MaxCmdBytes;
        _maxChunkBytes = validated.MaxChunkBytes;
    }

    /// <inheritdoc/>
    public string Name => FramerName;

    /// <inheritdoc/>
    /// <exception cref="ArgumentNullException"><paramref name="chunk"/>, its command, or <paramref name="output"/> is <see langword="null"/>.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The chunk's direction is not one of the five defined values.</exception>
    /// <exception cref="ArgumentException">A header key or value is <see langword="null"/>, or the command, a header key or a header value holds an unpaired surrogate; nothing is written.</exception>
    public void Write(Chunk chunk, IBufferWriter<byte> output)
    {
        ArgumentNullException.ThrowIfNull(chunk);
        WriteFields(new OutgoingChunk(chunk), output);
    }

    /// <inheritdoc/>
    void IOutgoingChunkFramer.Write(in OutgoingChunk chunk, IBufferWriter<byte> output) => WriteFields(chunk, output);

    /// <inheritdoc/>
    bool IChunkPrefixWriter.TryWritePrefix(in OutgoingChunk chunk, IBufferWriter<byte> output) => WriteFields(chunk, output, prefixOnly: true);

    /// <summary>Checks every field, then writes the chunk, or with <paramref name="prefixOnly"/> all of it up to its buffer's bytes.</summary>
    /// <returns><see langword="false"/>, having written nothing, for a prefix of a chunk with headers: they follow the buffer.</returns>
    private bool WriteFields(in OutgoingChunk chunk, IBufferWriter<byte> output, bool prefixOnly = false)
    {
        ArgumentNullException.ThrowIfNull(output);
        ArgumentNullException.ThrowIfNull(chunk.Cmd, "chunk.Cmd");
        if ((byte)chunk.Direction > (byte)Direction.Cancel)
        {
            throw new ArgumentOutOfRangeException(nameof(chunk), chunk.Direction, "The chunk's direction must be 0 to 4.");
        }

        // Every check comes before the first byte is written.
        int cmdBytes = StrictUtf8.GetByteCount(chunk.Cmd, "cmd");
        if (cmdBytes > _maxCmdBytes)
        {
            ThrowTooLong("cmd", cmdBytes, _maxCmdBytes);
        }

        ReadOnlySpan<byte> buffer = chunk.Buffer.Span;
        if (buffer.Length > _maxChunkBytes)
        {
            ThrowTooLong("buffer", buffer.Length, _maxChunkBytes);
        }

        IReadOnlyDictionary<string, string>? headers = chunk.Headers;
        int headerCount = headers is { Count: > 0 } ? CheckHeaders(headers) : 0;
        if (headerCount < 0)
        {
            throw new ArgumentException("Header keys and values must not be null.", nameof(chunk));
        }

        if (prefixOnly && headerCount > 0)
        {
            return false;
        }

        var writer = new MessagePackWriter(output);
        writer.WriteArrayHeader(headerCount > 0 ? 5u : 4u);
        writer.Write(chunk.ThreadId);
        writer.Write((byte)chunk.Direction);
        WriteString(ref writer, chunk.Cmd, cmdBytes);
        if (prefixOnly)
        {
            WriteBinaryHeader(ref writer, buffer.Length);
        }
        else
        {
            WriteBinary(ref writer, buffer);
            if (headerCount > 0)
            {
                WriteHeaders(ref writer, headers!, headerCount);
            }
        }

        writer.Flush();
        return true;
    }

    [DoesNotReturn]
    private static void ThrowTooLong(string field, int length, int limit) =>
        MessagePackThrow.CannotWrite($"{field} is {length} bytes, over the limit of {limit} bytes.");

    /// <inheritdoc/>
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
        // MessagePackReader alone takes longer than this whole read (about 40 ns for a small chunk, its Chunk included), so
        // the chunk most writers send is read on the span; anything else, and every error, goes to the reader.
        if (TryReadPlainChunk(input.FirstSpan, out chunk, out int consumed))
        {
            input = input.Slice(consumed);
            return true;
        }

        if (input.IsEmpty)
        {
            return false;
        }

        var reader = new MessagePackFieldReader(input);
        try
        {
            return TryReadChunk(ref reader, ref input, out chunk);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or OverflowException)
        {
            // Never expected: the field reader checks every type byte and length before MessagePack-CSharp reads them.
            throw MessagePackThrow.Unreadable(reader.Field, reader.FieldOffset, ex);
        }
        catch (EndOfStreamException)
        {
            // Never expected either: the field reader checks that a value has arrived before it is read.
            chunk = default;
            return false;
        }
    }

    private bool TryReadChunk(ref MessagePackFieldReader reader, ref ReadOnlySequence<byte> input, out ReceivedChunk chunk)
    {
        chunk = default;

        // Pass 1 checks the whole chunk and finds its end without allocating; pass 2 copies it out.
        if (!TryReadFieldsBeforeBuffer(ref reader, out uint elements, out ulong threadId, out ulong direction, out ReadOnlySequence<byte> cmdBytes, out long cmdDataOffset, out string? cmd))
        {
            return false;
        }

        if (!reader.TryReadNil(out bool bufferIsNil))
        {
            return false;
        }

        ReadOnlySequence<byte> bufferBytes = default;
        if (!bufferIsNil && !reader.TryReadBinary("buffer", _maxChunkBytes, out bufferBytes))
        {
            return false;
        }

        uint headerCount = 0;
        MessagePackFieldReader headersReader = default;
        if (elements == 5)
        {
            if (!reader.TryReadNil(out bool headersIsNil))
            {
                return false;
            }

            if (!headersIsNil)
            {
                if (!reader.TryReadMapHeader("headers", out headerCount))
                {
                    return false;
                }

                if (headerCount > MaxHeaderCount)
                {
                    MessagePackThrow.Invalid("headers", reader.FieldOffset, $"{headerCount} entries exceed the limit of {MaxHeaderCount}.");
                }

                headersReader = reader;
                if (!TrySkipHeaders(ref reader, headerCount))
                {
                    return false;
                }
            }
        }

        // The whole chunk is here and valid: from now on nothing can fail.
        IReadOnlyDictionary<string, string>? headers = headerCount > 0 ? ReadHeaders(ref headersReader, headerCount) : null;
        chunk = new ReceivedChunk(
            threadId,
            (Direction)direction,
            cmd ?? Utf8StringCache.GetString(cmdBytes, cmdDataOffset),
            bufferBytes.IsEmpty ? ReadOnlyMemory<byte>.Empty : PayloadArray.CopyOf(bufferBytes),
            headers);
        input = input.Slice(reader.Consumed);
        return true;
    }

    /// <summary>
    /// Reads, on the span, the chunk most writers send: whole within <paramref name="span"/> (the input's first segment),
    /// valid, without headers, its numbers and lengths in the usual encodings. Anything else returns <see langword="false"/>
    /// and goes to MessagePack-CSharp's reader, which reads it or names what is wrong: this path never throws.
    /// </summary>
    private bool TryReadPlainChunk(ReadOnlySpan<byte> span, out ReceivedChunk chunk, out int consumed)
    {
        chunk = default;
        consumed = 0;
        if (span.IsEmpty || (span[0] != FixArrayOf4 && span[0] != FixArrayOf5))
        {
            return false;
        }

        int position = 1;
        if (!TryReadPlainUInt64(span, ref position, out ulong threadId)
            || !TryReadPlainUInt64(span, ref position, out ulong direction)
            || direction > (byte)Direction.Cancel
            || !TryReadPlainLength(span, ref position, isString: true, _maxCmdBytes, out int cmdLength))
        {
            return false;
        }

        int cmdOffset = position;
        ReadOnlySpan<byte> cmd = span.Slice(position, cmdLength);
        if (!Utf8StringCache.TryGetCached(cmd, out string? cmdText) && Utf8Text.FindInvalid(cmd) >= 0)
        {
            return false;
        }

        position += cmdLength;
        int bufferOffset = position;
        int bufferLength = 0;
        if (position < span.Length && span[position] == MessagePackCode.Nil)
        {
            position++;
            bufferOffset = position;
        }
        else if (TryReadPlainLength(span, ref position, isString: false, _maxChunkBytes, out bufferLength))
        {
            bufferOffset = position;
            position += bufferLength;
        }
        else
        {
            return false;
        }

        if (span[0] == FixArrayOf5)
        {
            if (position >= span.Length || span[position] != MessagePackCode.Nil)
            {
                return false; // Headers, or not there yet.
            }

            position++;
        }

        chunk = new ReceivedChunk(
            threadId,
            (Direction)direction,
            cmdText ?? Utf8StringCache.GetString(cmd, cmdOffset),
            bufferLength == 0 ? ReadOnlyMemory<byte>.Empty : PayloadArray.CopyOf(span.Slice(bufferOffset, bufferLength)));
        consumed = position;
        return true;
    }

    /// <summary>Reads a positive fixint or a uint 8 to 64 that lies within <paramref name="span"/>.</summary>
    private static bool TryReadPlainUInt64(ReadOnlySpan<byte> span, ref int position, out ulong value)
    {
        value = 0;
        if (position >= span.Length)
        {
            return false;
        }

        byte code = span[position];
        if (code <= MessagePackCode.MaxFixInt)
        {
            value = code;
            position++;
            return true;
        }

        if (code is < MessagePackCode.UInt8 or > MessagePackCode.UInt64)
        {
            return false;
        }

        int size = 1 << (code & 0x03);
        ReadOnlySpan<byte> bytes = span[(position + 1)..];
        if (bytes.Length < size)
        {
            return false;
        }

        value = size switch
        {
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            4 => BinaryPrimitives.ReadUInt32BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt64BigEndian(bytes),
        };
        position += 1 + size;
        return true;
    }

    /// <summary>Reads the type byte and length of a str (fixstr, str 8 to 32) or a bin (bin 8 to 32) whose data lies within <paramref name="span"/> and whose length is within <paramref name="maxLength"/>.</summary>
    /// <returns><see langword="true"/> with <paramref name="position"/> at the first data byte.</returns>
    private static bool TryReadPlainLength(ReadOnlySpan<byte> span, ref int position, bool isString, int maxLength, out int length)
    {
        length = 0;
        if (position >= span.Length)
        {
            return false;
        }

        byte code = span[position];
        int size;
        if (isString && code is >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr)
        {
            size = 0;
        }
        else
        {
            size = (isString, code) switch
            {
                (true, MessagePackCode.Str8) or (false, MessagePackCode.Bin8) => 1,
                (true, MessagePackCode.Str16) or (false, MessagePackCode.Bin16) => 2,
                (true, MessagePackCode.Str32) or (false, MessagePackCode.Bin32) => 4,
                _ => -1,
            };
        }

        ReadOnlySpan<byte> bytes = span[(position + 1)..];
        if (size < 0 || bytes.Length < size)
        {
            return false;
        }

        uint declared = size switch
        {
            0 => (uint)(code & 0x1f),
            1 => bytes[0],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes),
            _ => BinaryPrimitives.ReadUInt32BigEndian(bytes),
        };
        if (declared > (uint)maxLength || (uint)(bytes.Length - size) < declared)
        {
            return false;
        }

        length = (int)declared;
        position += 1 + size;
        return true;
    }

    /// <inheritdoc/>
    bool IChunkHeaderReader.TryReadHeader(ref ReadOnlySequence<byte> input, out ChunkHeader header)
    {
        header = default;
        var reader = new MessagePackFieldReader(input);
        try
        {
            if (!TryReadFieldsBeforeBuffer(ref reader, out uint elements, out ulong threadId, out ulong direction, out ReadOnlySequence<byte> cmdBytes, out long cmdDataOffset, out string? cmd)
                || elements != 4 // headers follow the buffer
                || !reader.TryReadNil(out bool bufferIsNil)
                || bufferIsNil
                || !reader.TryReadBinaryHeader("buffer", _maxChunkBytes, out int bufferLength))
            {
                return false;
            }

            header = new ChunkHeader(threadId, (Direction)direction, cmd ?? Utf8StringCache.GetString(cmdBytes, cmdDataOffset), bufferLength);
        }
        catch (Exception ex) when (ex is MessagePackSerializationException or OverflowException)
        {
            throw MessagePackThrow.Unreadable(reader.Field, reader.FieldOffset, ex);
        }
        catch (EndOfStreamException)
        {
            return false;
        }

        input = input.Slice(reader.Consumed);
        return true;
    }

    /// <summary>Reads and checks the array header, threadId, direction and cmd, leaving <paramref name="reader"/> at the buffer.</summary>
    /// <param name="reader">The reader, at the start of the chunk.</param>
    /// <param name="elements">The number of elements of the chunk's array: 4 or 5.</param>
    /// <param name="threadId">The chunk's thread id.</param>
    /// <param name="direction">The chunk's direction, 0 to 4.</param>
    /// <param name="cmdBytes">The cmd's bytes, valid UTF-8.</param>
    /// <param name="cmdDataOffset">The offset of the cmd's first byte in the chunk.</param>
    /// <param name="cmd">The cmd's string when the cache has it (nothing to allocate then), else <see langword="null"/>.</param>
    /// <returns><see langword="false"/> if they are not all there yet.</returns>
    private bool TryReadFieldsBeforeBuffer(
        ref MessagePackFieldReader reader,
        out uint elements,
        out ulong threadId,
        out ulong direction,
        out ReadOnlySequence<byte> cmdBytes,
        out long cmdDataOffset,
        out string? cmd)
    {
        threadId = 0;
        direction = 0;
        cmdBytes = default;
        cmdDataOffset = 0;
        cmd = null;
        if (!reader.TryReadArrayHeader("chunk", out elements))
        {
            return false;
        }

        if (elements is not (4 or 5))
        {
            MessagePackThrow.Invalid("chunk", 0, $"expected an array of 4 or 5 elements, found {elements}.");
        }

        if (!reader.TryReadUInt64("threadId", out threadId))
        {
            return false;
        }

        if (!reader.TryReadUInt64("direction", out direction))
        {
            return false;
        }

        if (direction > (byte)Direction.Cancel)
        {
            MessagePackThrow.Invalid("direction", reader.FieldOffset, $"expected 0 to 4, found {direction}.");
        }

        if (!reader.TryReadString("cmd", _maxCmdBytes, out cmdBytes))
        {
            return false;
        }

        cmdDataOffset = reader.Consumed - cmdBytes.Length;

        // Only checked bytes are cached, so a hit needs no UTF-8 check.
        if (!cmdBytes.IsSingleSegment || !Utf8StringCache.TryGetCached(cmdBytes.FirstSpan, out cmd))
        {
            Utf8Sequence.Validate(cmdBytes, "cmd", reader.FieldOffset, cmdDataOffset);
        }

        return true;
    }

    private bool TrySkipHeaders(ref MessagePackFieldReader reader, uint count)
    {
        for (uint i = 0; i < count; i++)
        {
            if (!TrySkipHeaderString(ref reader, "header key") || !TrySkipHeaderString(ref reader, "header value"))
            {
                return false;
            }
        }

        return true;
    }

    private bool TrySkipHeaderString(ref MessagePackFieldReader reader, string field)
    {
        if (!reader.TryReadString(field, _maxCmdBytes, out ReadOnlySequence<byte> utf8))
        {
            return false;
        }

        Utf8Sequence.Validate(utf8, field, reader.FieldOffset, reader.Consumed - utf8.Length);
        return true;
    }

    private Dictionary<string, string>? ReadHeaders(ref MessagePackFieldReader reader, uint count)
    {
        // The count is trusted by now: pass 1 has seen the bytes of every entry, and there are at most MaxHeaderCount.
        var headers = new Dictionary<string, string>((int)count);
        for (uint i = 0; i < count; i++)
        {
            bool complete = reader.TryReadString("header key", _maxCmdBytes, out ReadOnlySequence<byte> key)
                & reader.TryReadString("header value", _maxCmdBytes, out ReadOnlySequence<byte> value);
            Debug.Assert(complete, "Pass 1 has read these bytes already.");

            // Keys repeat from chunk to chunk (traceparent), so they share the command cache; values rarely do.
            headers[Utf8StringCache.GetString(key, 0)] = Utf8Sequence.Decode(value);
        }

        return headers.Count > 0 ? headers : null;
    }

    /// <summary>Checks every header and counts them.</summary>
    /// <returns>The number of entries, or -1 if a key or value is <see langword="null"/>.</returns>
    private int CheckHeaders(IReadOnlyDictionary<string, string> headers) =>
        headers is Dictionary<string, string> dictionary
            ? CheckHeaders(dictionary.GetEnumerator())
            : CheckHeaders(headers.GetEnumerator());

    /// <returns>The number of entries, or -1 if a key or value is <see langword="null"/>.</returns>
    private int CheckHeaders<TEnumerator>(TEnumerator entries)
        where TEnumerator : IEnumerator<KeyValuePair<string, string>>
    {
        int count = 0;
        try
        {
            while (entries.MoveNext())
            {
                KeyValuePair<string, string> entry = entries.Current;
                if (entry.Key is null || entry.Value is null)
                {
                    return -1;
                }

                CheckHeaderString(entry.Key, "header key");
                CheckHeaderString(entry.Value, "header value");
                if (++count > MaxHeaderCount)
                {
                    MessagePackThrow.CannotWrite($"more than {MaxHeaderCount} headers.");
                }
            }
        }
        finally
        {
            entries.Dispose();
        }

        return count;
    }

    private void CheckHeaderString(string value, string field)
    {
        int byteCount = StrictUtf8.GetByteCount(value, field);
        if (byteCount > _maxCmdBytes)
        {
            MessagePackThrow.CannotWrite($"a {field} is {byteCount} bytes, over the limit of {_maxCmdBytes} bytes.");
        }
    }

    private static void WriteHeaders(ref MessagePackWriter writer, IReadOnlyDictionary<string, string> headers, int count)
    {
        writer.WriteMapHeader((uint)count);
        int written = headers is Dictionary<string, string> dictionary
            ? WriteHeaders(dictionary.GetEnumerator(), ref writer)
            : WriteHeaders(headers.GetEnumerator(), ref writer);
        if (written != count)
        {
            throw new InvalidOperationException("The chunk's headers changed while it was being written.");
        }
    }

    private static int WriteHeaders<TEnumerator>(TEnumerator entries, ref MessagePackWriter writer)
        where TEnumerator : IEnumerator<KeyValuePair<string, string>>
    {
        int count = 0;
        try
        {
            while (entries.MoveNext())
            {
                KeyValuePair<string, string> entry = entries.Current;
                WriteString(ref writer, entry.Key, Encoding.UTF8.GetByteCount(entry.Key));
                WriteString(ref writer, entry.Value, Encoding.UTF8.GetByteCount(entry.Value));
                count++;
            }
        }
        finally
        {
            entries.Dispose();
        }

        return count;
    }

    /// <summary>Writes <paramref name="value"/>, whose UTF-8 length <paramref name="byteCount"/> is known and checked, as the shortest str.</summary>
    private static void WriteString(ref MessagePackWriter writer, string value, int byteCount)
    {
        if (byteCount == value.Length && byteCount <= MaxContiguousValueBytes)
        {
            // ASCII, as most commands and header names are: one byte per char. The header asks for room for the string too.
            writer.WriteStringHeader(byteCount);
            OperationStatus status = Ascii.FromUtf16(value, writer.GetSpan(byteCount), out _);
            Debug.Assert(status == OperationStatus.Done, "The string was measured as ASCII.");
            writer.Advance(byteCount);
            return;
        }

        WriteOtherString(ref writer, value, byteCount);
    }

    /// <summary>Writes a str that is not ASCII, or is longer than <see cref="MaxContiguousValueBytes"/>.</summary>
    /// <remarks>Apart from <see cref="WriteString"/>, so that the common case keeps a small stack frame.</remarks>
    [MethodImpl(MethodImplOptions.NoInlining)]
    private static void WriteOtherString(ref MessagePackWriter writer, string value, int byteCount)
    {
        if (byteCount <= MaxContiguousValueBytes)
        {
            // The header asks for room for the whole string too.
            writer.WriteStringHeader(byteCount);
            int written = Encoding.UTF8.GetBytes(value, writer.GetSpan(byteCount));
            Debug.Assert(written == byteCount, "The length was measured on the same string.");
            writer.Advance(byteCount);
            return;
        }

        WriteLongHeader(ref writer, MessagePackCode.Str32, byteCount);
        ReadOnlySpan<char> chars = value;
        while (!chars.IsEmpty)
        {
            // At least 4 bytes (one whole scalar), so every round makes progress.
            Span<byte> destination = writer.GetSpan(4);
            Utf8.FromUtf16(chars, destination, out int charsRead, out int bytesWritten);
            chars = chars[charsRead..];
            writer.Advance(bytesWritten);
        }
    }

    /// <summary>Writes the header of a bin of <paramref name="length"/> bytes exactly as <see cref="WriteBinary"/> writes it.</summary>
    /// <remarks>
    /// Written by hand: <see cref="MessagePackWriter.WriteBinHeader"/> also asks the output for room for the bytes that
    /// follow, which here go out from where they lie (a prefix split over two segments would be copied after all).
    /// </remarks>
    private static void WriteBinaryHeader(ref MessagePackWriter writer, int length)
    {
        if (length > ushort.MaxValue)
        {
            WriteLongHeader(ref writer, MessagePackCode.Bin32, length);
            return;
        }

        Span<byte> span = writer.GetSpan(3);
        if (length <= byte.MaxValue)
        {
            span[0] = MessagePackCode.Bin8;
            span[1] = (byte)length;
            writer.Advance(2);
        }
        else
        {
            span[0] = MessagePackCode.Bin16;
            BinaryPrimitives.WriteUInt16BigEndian(span[1..], (ushort)length);
            writer.Advance(3);
        }
    }

    /// <summary>Writes <paramref name="value"/> as the shortest bin.</summary>
    private static void WriteBinary(ref MessagePackWriter writer, ReadOnlySpan<byte> value)
    {
        if (value.Length <= MaxContiguousValueBytes)
        {
            writer.Write(value);
            return;
        }

        // WriteRaw copies into whatever room the output has, asking for more as it goes.
        WriteLongHeader(ref writer, MessagePackCode.Bin32, value.Length);
        writer.WriteRaw(value);
    }

    /// <summary>
    /// Writes the header of a str 32 or bin 32, the shortest for a value longer than <see cref="MaxContiguousValueBytes"/>,
    /// asking the output for just its five bytes.
    /// </summary>
    private static void WriteLongHeader(ref MessagePackWriter writer, byte code, int length)
    {
        Debug.Assert(length > ushort.MaxValue, "Only str 32 and bin 32 are written here.");
        Span<byte> span = writer.GetSpan(5);
        span[0] = code;
        BinaryPrimitives.WriteUInt32BigEndian(span[1..], (uint)length);
        writer.Advance(5);
    }
}
