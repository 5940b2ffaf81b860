using System.Buffers;
using System.Buffers.Binary;

namespace PluginIpc;

/// <summary>Reads the few MessagePack types that the <c>msgpack</c> framing needs, from a chunk that may be incomplete.</summary>
/// <remarks>
/// Every <c>TryRead…</c> method returns <see langword="false"/> when more bytes are needed, and then leaves the reader where it
/// was; it throws <see cref="ProtocolException"/> for anything that can never be valid, naming the field and its offset.
/// Offsets count from the start of the sequence the reader was created on, which is the start of the chunk.
/// Lengths are checked against their limit as soon as the length is known, before the bytes arrive.
/// </remarks>
internal ref struct MessagePackReader
{
    private SequenceReader<byte> _reader;

    /// <summary>Initializes a reader at the start of <paramref name="sequence"/>, the start of a chunk.</summary>
    public MessagePackReader(ReadOnlySequence<byte> sequence)
    {
        _reader = new SequenceReader<byte>(sequence);
    }

    /// <summary>Gets the number of bytes read so far: the offset of the next value from the start of the chunk.</summary>
    public readonly long Consumed => _reader.Consumed;

    /// <summary>Gets the position of the next value in the sequence.</summary>
    public readonly SequencePosition Position => _reader.Position;

    /// <summary>Gets a value indicating whether every byte of the sequence has been read.</summary>
    public readonly bool End => _reader.End;

    /// <summary>Gets the type byte of the next value without reading it.</summary>
    /// <returns><see langword="false"/> if there are no more bytes.</returns>
    public readonly bool TryPeekCode(out byte code) => _reader.TryPeek(out code);

    /// <summary>Reads a <c>nil</c> if that is the next value.</summary>
    /// <param name="isNil">Whether the next value was a <c>nil</c>, now read; otherwise nothing was read.</param>
    /// <returns><see langword="false"/> if there are no more bytes.</returns>
    public bool TryReadNil(out bool isNil)
    {
        if (!_reader.TryPeek(out byte code))
        {
            isNil = false;
            return false;
        }

        isNil = code == MessagePackCode.Nil;
        if (isNil)
        {
            _reader.Advance(1);
        }

        return true;
    }

    /// <summary>Reads an array header (fixarray, array 16, array 32).</summary>
    public bool TryReadArrayHeader(string field, out uint count) =>
        TryReadContainerHeader(field, "array", MessagePackCode.MinFixArray, MessagePackCode.MaxFixArray, MessagePackCode.Array16, MessagePackCode.Array32, out count);

    /// <summary>Reads a map header (fixmap, map 16, map 32).</summary>
    public bool TryReadMapHeader(string field, out uint count) =>
        TryReadContainerHeader(field, "map", MessagePackCode.MinFixMap, MessagePackCode.MaxFixMap, MessagePackCode.Map16, MessagePackCode.Map32, out count);

    /// <summary>Reads a non-negative integer: positive fixint, uint 8 to 64, or int 8 to 64 holding a value of zero or more.</summary>
    public bool TryReadUInt64(string field, out ulong value)
    {
        long offset = _reader.Consumed;
        value = 0;
        if (!_reader.TryPeek(out byte code))
        {
            return false;
        }

        if (code <= MessagePackCode.MaxPositiveFixInt)
        {
            value = code;
            _reader.Advance(1);
            return true;
        }

        if (code is < MessagePackCode.UInt8 or > MessagePackCode.Int64)
        {
            MessagePackThrow.UnexpectedType(field, offset, "uint", code);
        }

        // 0xcc-0xcf and 0xd0-0xd3 both carry 1 << (code & 3) bytes after the type byte.
        int size = 1 << (code & 0x03);
        if (!TryPeekBigEndian(size, out ulong raw))
        {
            return false;
        }

        if (code >= MessagePackCode.Int8)
        {
            long signed = size switch
            {
                1 => (sbyte)raw,
                2 => (short)raw,
                4 => (int)raw,
                _ => (long)raw,
            };
            if (signed < 0)
            {
                MessagePackThrow.NegativeInteger(field, offset, code, signed);
            }

            raw = (ulong)signed;
        }

        _reader.Advance(1 + size);
        value = raw;
        return true;
    }

    /// <summary>Reads a str (fixstr, str 8, str 16, str 32) and returns its bytes, not yet checked as UTF-8.</summary>
    /// <param name="field">The field, for error messages.</param>
    /// <param name="maxLength">The largest length accepted, checked before the bytes arrive.</param>
    /// <param name="utf8">The string's bytes, a slice of the input.</param>
    public bool TryReadString(string field, int maxLength, out ReadOnlySequence<byte> utf8)
    {
        long offset = _reader.Consumed;
        utf8 = default;
        if (!_reader.TryPeek(out byte code))
        {
            return false;
        }

        int size;
        uint length;
        switch (code)
        {
            case >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr:
                size = 0;
                length = (uint)(code & 0x1f);
                break;
            case MessagePackCode.Str8:
                size = 1;
                length = 0;
                break;
            case MessagePackCode.Str16:
                size = 2;
                length = 0;
                break;
            case MessagePackCode.Str32:
                size = 4;
                length = 0;
                break;
            default:
                MessagePackThrow.UnexpectedType(field, offset, "str", code);
                return false;
        }

        return TryReadPayload(field, offset, size, length, maxLength, out utf8);
    }

    /// <summary>Reads a bin (bin 8, bin 16, bin 32) and returns its bytes.</summary>
    /// <param name="field">The field, for error messages.</param>
    /// <param name="maxLength">The largest length accepted, checked before the bytes arrive.</param>
    /// <param name="bytes">The bytes, a slice of the input.</param>
    public bool TryReadBinary(string field, int maxLength, out ReadOnlySequence<byte> bytes)
    {
        long offset = _reader.Consumed;
        bytes = default;
        return TryPeekBinarySize(field, out int size) && TryReadPayload(field, offset, size, 0, maxLength, out bytes);
    }

    /// <summary>Reads the type byte and the length of a bin value, leaving the reader at its first data byte, whether the data has arrived or not.</summary>
    /// <param name="field">The field's name, for errors.</param>
    /// <param name="maxLength">The longest value allowed.</param>
    /// <param name="length">The value's length.</param>
    /// <returns><see langword="false"/> if the type byte and length are not all there yet; nothing is consumed then.</returns>
    /// <exception cref="ProtocolException">The next value is not a bin, or is longer than <paramref name="maxLength"/>.</exception>
    public bool TryReadBinaryHeader(string field, int maxLength, out int length)
    {
        long offset = _reader.Consumed;
        length = 0;
        if (!TryPeekBinarySize(field, out int size) || !TryPeekBigEndian(size, out ulong declared))
        {
            return false;
        }

        if (declared > (ulong)maxLength)
        {
            MessagePackThrow.LengthOverLimit(field, offset, declared, maxLength);
        }

        _reader.Advance(1 + size);
        length = (int)declared;
        return true;
    }

    /// <summary>Reads, without advancing, how many bytes hold the length of the bin value that comes next.</summary>
    private readonly bool TryPeekBinarySize(string field, out int size)
    {
        long offset = _reader.Consumed;
        size = 0;
        if (!_reader.TryPeek(out byte code))
        {
            return false;
        }

        size = code switch
        {
            MessagePackCode.Bin8 => 1,
            MessagePackCode.Bin16 => 2,
            MessagePackCode.Bin32 => 4,
            _ => 0,
        };
        if (size == 0)
        {
            MessagePackThrow.UnexpectedType(field, offset, "bin", code);
        }

        return true;
    }

    private bool TryReadPayload(string field, long offset, int size, uint length, int maxLength, out ReadOnlySequence<byte> payload)
    {
        payload = default;
        ulong declared = length;
        if (size > 0)
        {
            if (!TryPeekBigEndian(size, out declared))
            {
                return false;
            }
        }

        if (declared > (ulong)maxLength)
        {
            MessagePackThrow.LengthOverLimit(field, offset, declared, maxLength);
        }

        long total = 1 + size + (long)declared;
        if (_reader.Remaining < total)
        {
            return false;
        }

        _reader.Advance(1 + size);
        payload = _reader.Sequence.Slice(_reader.Position, (long)declared);
        _reader.Advance((long)declared);
        return true;
    }

    private bool TryReadLength(int size, out uint count)
    {
        if (!TryPeekBigEndian(size, out ulong raw))
        {
            count = 0;
            return false;
        }

        _reader.Advance(1 + size);
        count = (uint)raw;
        return true;
    }

    /// <summary>Reads the <paramref name="size"/> bytes after the type byte as a big-endian number, without advancing.</summary>
    private readonly bool TryPeekBigEndian(int size, out ulong value)
    {
        Span<byte> scratch = stackalloc byte[9];
        ReadOnlySpan<byte> bytes = scratch;
        ReadOnlySpan<byte> unread = _reader.UnreadSpan;
        if (unread.Length > size)
        {
            bytes = unread;
        }
        else if (!_reader.TryCopyTo(scratch[..(1 + size)]))
        {
            value = 0;
            return false;
        }

        value = size switch
        {
            1 => bytes[1],
            2 => BinaryPrimitives.ReadUInt16BigEndian(bytes[1..]),
            4 => BinaryPrimitives.ReadUInt32BigEndian(bytes[1..]),
            _ => BinaryPrimitives.ReadUInt64BigEndian(bytes[1..]),
        };
        return true;
    }

    private bool TryReadContainerHeader(string field, string kind, byte minFix, byte maxFix, byte code16, byte code32, out uint count)
    {
        long offset = _reader.Consumed;
        if (!_reader.TryPeek(out byte code))
        {
            count = 0;
            return false;
        }

        if (code >= minFix && code <= maxFix)
        {
            count = (uint)(code & 0x0f);
            _reader.Advance(1);
            return true;
        }

        if (code != code16 && code != code32)
        {
            MessagePackThrow.UnexpectedType(field, offset, kind, code);
        }

        return TryReadLength(code == code16 ? 2 : 4, out count);
    }
}
