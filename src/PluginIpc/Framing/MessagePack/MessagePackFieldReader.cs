using System.Buffers;
using System.Buffers.Binary;
using MessagePack;

namespace PluginIpc;

/// <summary>
/// Reads the fields of a <c>msgpack</c> chunk, which may be incomplete, with MessagePack-CSharp's <see cref="MessagePackReader"/>,
/// and holds each field to what the framing allows.
/// </summary>
/// <remarks>
/// <para>
/// MessagePack-CSharp's reader is lenient where the framing is strict: it reads <c>nil</c> as a null str or bin, a str as a
/// bin, and a negative int as an <see cref="OverflowException"/>; a str 32 or bin 32 length over <see cref="int.MaxValue"/>
/// wraps; and it signals a value that has not fully arrived with an <see cref="EndOfStreamException"/>. So before each read
/// this peeks at the type byte and accepts only the field's own types, checks a declared length against its limit as soon
/// as the length has arrived (before the bytes it announces, and before anything is allocated for them), and checks that
/// the whole value has arrived; only then does MessagePack-CSharp's reader read it. A value not all there is reported by
/// returning <see langword="false"/>, never by an exception, so incomplete input costs no allocation.
/// </para>
/// <para>
/// Every <c>TryRead…</c> method returns <see langword="false"/> when more bytes are needed; the reader is then to be dropped,
/// and the chunk read again from its start once more bytes have arrived. It throws <see cref="ProtocolException"/> for
/// anything that can never be valid, naming the field and its offset, which counts from the start of the sequence the reader
/// was created on: the start of the chunk.
/// </para>
/// </remarks>
internal ref struct MessagePackFieldReader
{
    private readonly long _length;
    private readonly ReadOnlySpan<byte> _first;
    private MessagePackReader _reader;

    /// <summary>Initializes a reader at the start of <paramref name="chunk"/>.</summary>
    public MessagePackFieldReader(in ReadOnlySequence<byte> chunk)
    {
        // On one segment the reader runs over memory, which costs less than over a sequence; positions then belong to a
        // sequence of its own, so callers go by Consumed.
        _reader = chunk.IsSingleSegment ? new MessagePackReader(chunk.First) : new MessagePackReader(chunk);
        _length = chunk.Length;
        _first = chunk.FirstSpan;
        Field = "chunk";
    }

    /// <summary>Gets the number of bytes read so far: the offset of the next value from the start of the chunk.</summary>
    public long Consumed => _reader.Consumed;

    /// <summary>Gets the field read last, or being read, for errors raised by MessagePack-CSharp's reader.</summary>
    public string Field { get; private set; }

    /// <summary>Gets the offset of <see cref="Field"/>'s type byte.</summary>
    public long FieldOffset { get; private set; }

    private long Remaining => _length - _reader.Consumed;

    /// <summary>Reads a <c>nil</c> if that is the next value.</summary>
    /// <param name="isNil">Whether the next value was a <c>nil</c>, now read; otherwise nothing was read.</param>
    /// <returns><see langword="false"/> if there are no more bytes.</returns>
    public bool TryReadNil(out bool isNil)
    {
        if (_reader.End)
        {
            isNil = false;
            return false;
        }

        isNil = _reader.TryReadNil();
        return true;
    }

    /// <summary>Reads an array header: fixarray, array 16 or array 32.</summary>
    /// <param name="field">The field, for errors.</param>
    /// <param name="count">The number of elements, as declared.</param>
    public bool TryReadArrayHeader(string field, out uint count)
    {
        count = 0;
        if (!TryPeekCode(field, out byte code))
        {
            return false;
        }

        if (code is not ((>= MessagePackCode.MinFixArray and <= MessagePackCode.MaxFixArray) or MessagePackCode.Array16 or MessagePackCode.Array32))
        {
            MessagePackThrow.UnexpectedType(field, FieldOffset, "array", code);
        }

        if (!_reader.TryReadArrayHeader(out int declared))
        {
            return false;
        }

        count = unchecked((uint)declared); // array 32 counts up to uint.MaxValue
        return true;
    }

    /// <summary>Reads a map header: fixmap, map 16 or map 32.</summary>
    /// <param name="field">The field, for errors.</param>
    /// <param name="count">The number of entries, as declared.</param>
    public bool TryReadMapHeader(string field, out uint count)
    {
        count = 0;
        if (!TryPeekCode(field, out byte code))
        {
            return false;
        }

        if (code is not ((>= MessagePackCode.MinFixMap and <= MessagePackCode.MaxFixMap) or MessagePackCode.Map16 or MessagePackCode.Map32))
        {
            MessagePackThrow.UnexpectedType(field, FieldOffset, "map", code);
        }

        if (!_reader.TryReadMapHeader(out int declared))
        {
            return false;
        }

        count = unchecked((uint)declared);
        return true;
    }

    /// <summary>Reads a non-negative integer: positive fixint, uint 8 to 64, or int 8 to 64 holding a value of zero or more.</summary>
    /// <param name="field">The field, for errors.</param>
    /// <param name="value">The value.</param>
    public bool TryReadUInt64(string field, out ulong value)
    {
        value = 0;
        if (!TryPeekCode(field, out byte code))
        {
            return false;
        }

        if (code <= MessagePackCode.MaxFixInt)
        {
            value = _reader.ReadUInt64();
            return true;
        }

        // uint 8/16/32/64 (0xcc-0xcf) and int 8/16/32/64 (0xd0-0xd3) both carry 1 << (code & 3) bytes after the type byte.
        if (code is < MessagePackCode.UInt8 or > MessagePackCode.Int64)
        {
            MessagePackThrow.UnexpectedType(field, FieldOffset, "uint", code);
        }

        if (Remaining < 1 + (1 << (code & 0x03)))
        {
            return false;
        }

        if (code <= MessagePackCode.UInt64)
        {
            value = _reader.ReadUInt64();
            return true;
        }

        long signed = _reader.ReadInt64();
        if (signed < 0)
        {
            MessagePackThrow.NegativeInteger(field, FieldOffset, code, signed);
        }

        value = (ulong)signed;
        return true;
    }

    /// <summary>Reads a str (fixstr, str 8, str 16, str 32) and returns its bytes, not yet checked as UTF-8.</summary>
    /// <param name="field">The field, for errors.</param>
    /// <param name="maxLength">The largest length accepted, checked before the bytes arrive.</param>
    /// <param name="utf8">The string's bytes, a slice of the input.</param>
    public bool TryReadString(string field, int maxLength, out ReadOnlySequence<byte> utf8)
    {
        utf8 = default;
        if (!TryPeekCode(field, out byte code))
        {
            return false;
        }

        int size = code switch
        {
            >= MessagePackCode.MinFixStr and <= MessagePackCode.MaxFixStr => 0,
            MessagePackCode.Str8 => 1,
            MessagePackCode.Str16 => 2,
            MessagePackCode.Str32 => 4,
            _ => -1,
        };
        if (size < 0)
        {
            MessagePackThrow.UnexpectedType(field, FieldOffset, "str", code);
        }

        if (!TryPeekLength(code, size, maxLength, out _, out bool arrived) || !arrived)
        {
            return false;
        }

        utf8 = _reader.ReadStringSequence().GetValueOrDefault();
        return true;
    }

    /// <summary>Reads a bin (bin 8, bin 16, bin 32) and returns its bytes.</summary>
    /// <param name="field">The field, for errors.</param>
    /// <param name="maxLength">The largest length accepted, checked before the bytes arrive.</param>
    /// <param name="bytes">The bytes, a slice of the input.</param>
    public bool TryReadBinary(string field, int maxLength, out ReadOnlySequence<byte> bytes)
    {
        bytes = default;
        if (!TryPeekBinary(field, maxLength, out _, out bool arrived) || !arrived)
        {
            return false;
        }

        bytes = _reader.ReadBytes().GetValueOrDefault();
        return true;
    }

    /// <summary>Reads the type byte and the length of a bin value, leaving the reader at its first data byte, whether the data has arrived or not.</summary>
    /// <param name="field">The field, for errors.</param>
    /// <param name="maxLength">The longest value allowed.</param>
    /// <param name="length">The value's length.</param>
    /// <returns><see langword="false"/> if the type byte and length are not all there yet.</returns>
    /// <exception cref="ProtocolException">The next value is not a bin, or is longer than <paramref name="maxLength"/>.</exception>
    public bool TryReadBinaryHeader(string field, int maxLength, out int length)
    {
        if (!TryPeekBinary(field, maxLength, out length, out _))
        {
            return false;
        }

        // MessagePack-CSharp reads a bin only with its data, so the header, whose length is checked, is skipped raw.
        _reader.ReadRaw(1 + HeaderSize(_reader.NextCode));
        return true;
    }

    /// <summary>Reads the length of the bin value that comes next, without reading anything.</summary>
    private bool TryPeekBinary(string field, int maxLength, out int length, out bool arrived)
    {
        length = 0;
        arrived = false;
        if (!TryPeekCode(field, out byte code))
        {
            return false;
        }

        if (code is not (MessagePackCode.Bin8 or MessagePackCode.Bin16 or MessagePackCode.Bin32))
        {
            MessagePackThrow.UnexpectedType(field, FieldOffset, "bin", code);
        }

        return TryPeekLength(code, HeaderSize(code), maxLength, out length, out arrived);
    }

    /// <summary>Reads the type byte of the next value without reading it, and notes it as <paramref name="field"/> for errors.</summary>
    /// <returns><see langword="false"/> if there are no more bytes.</returns>
    private bool TryPeekCode(string field, out byte code)
    {
        Field = field;
        FieldOffset = _reader.Consumed;
        if (_reader.End)
        {
            code = 0;
            return false;
        }

        code = _reader.NextCode;
        return true;
    }

    /// <summary>
    /// Reads, without reading anything, the length that the <paramref name="size"/> bytes after the type byte declare (or
    /// that a fixstr <paramref name="code"/> holds), and checks it against <paramref name="maxLength"/>.
    /// </summary>
    /// <param name="code">The type byte.</param>
    /// <param name="size">The number of bytes holding the length after the type byte: 0, 1, 2 or 4.</param>
    /// <param name="maxLength">The longest value allowed.</param>
    /// <param name="length">The value's length.</param>
    /// <param name="arrived">Whether all the value's bytes are there.</param>
    /// <returns><see langword="false"/> if the length is not all there yet.</returns>
    private bool TryPeekLength(byte code, int size, int maxLength, out int length, out bool arrived)
    {
        length = 0;
        arrived = false;
        long remaining = Remaining;
        if (remaining < 1 + size)
        {
            return false;
        }

        uint declared;
        if (size == 0)
        {
            declared = (uint)(code & 0x1f);
        }
        else
        {
            long consumed = _reader.Consumed;
            Span<byte> copy = stackalloc byte[5];
            ReadOnlySpan<byte> header = _first.Length - consumed >= 1 + size ? _first[(int)consumed..] : copy;
            if (header == copy)
            {
                // The header spans segments.
                MessagePackReader peek = _reader.CreatePeekReader();
                peek.ReadRaw(1 + size).CopyTo(copy);
            }

            declared = size switch
            {
                1 => header[1],
                2 => BinaryPrimitives.ReadUInt16BigEndian(header[1..]),
                _ => BinaryPrimitives.ReadUInt32BigEndian(header[1..]),
            };
        }

        if (declared > (uint)maxLength)
        {
            MessagePackThrow.LengthOverLimit(Field, FieldOffset, declared, maxLength);
        }

        length = (int)declared;
        arrived = remaining - 1 - size >= declared;
        return true;
    }

    /// <summary>Gets the number of bytes that hold the length of a str or bin after its type byte.</summary>
    private static int HeaderSize(byte code) => code switch
    {
        MessagePackCode.Bin8 or MessagePackCode.Str8 => 1,
        MessagePackCode.Bin16 or MessagePackCode.Str16 => 2,
        MessagePackCode.Bin32 or MessagePackCode.Str32 => 4,
        _ => 0,
    };
}
