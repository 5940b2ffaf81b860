using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Numerics;

namespace PluginIpc;

/// <summary>Reads and writes the NUL-terminated ASCII decimal numbers of the <c>text</c> framing.</summary>
/// <remarks>
/// The protocol allows 1 to 20 digits, no sign, no spaces and no leading zero except "0" itself, which is
/// stricter than the BCL parsers; this helper also rejects a value as soon as its digits exceed the field's range.
/// </remarks>
internal static class AsciiDecimal
{
    /// <summary>10 to the power of the index, from 0 to 19: every power of ten a <see cref="ulong"/> holds.</summary>
    /// <remarks>An array, not a span over constant data: a debug build allocates such a span's array on each use.</remarks>
    private static readonly ulong[] s_powersOfTen =
    [
        1, 10, 100, 1_000, 10_000, 100_000, 1_000_000, 10_000_000, 100_000_000, 1_000_000_000, 10_000_000_000,
        100_000_000_000, 1_000_000_000_000, 10_000_000_000_000, 100_000_000_000_000, 1_000_000_000_000_000,
        10_000_000_000_000_000, 100_000_000_000_000_000, 1_000_000_000_000_000_000, 10_000_000_000_000_000_000,
    ];

    /// <summary>The most digits a number may have: enough for <see cref="ulong.MaxValue"/>.</summary>
    public const int MaxDigits = 20;

    private const byte Terminator = 0;

    /// <summary>Reads a number and its NUL terminator from <paramref name="reader"/>.</summary>
    /// <param name="reader">Positioned at the first digit; on success, advanced past the terminator.</param>
    /// <param name="max">The largest value the field accepts.</param>
    /// <param name="field">The field's name, for the error message.</param>
    /// <param name="value">The value read.</param>
    /// <returns><see langword="false"/> if the input ends before the terminator; <paramref name="reader"/> is then at its end.</returns>
    /// <exception cref="ProtocolException">The bytes so far can never form a valid number within <paramref name="max"/>.</exception>
    public static bool TryRead(ref SequenceReader<byte> reader, ulong max, string field, out ulong value)
    {
        long fieldOffset = reader.Consumed;
        value = 0;
        int digits = 0;
        while (!reader.End)
        {
            ReadOnlySpan<byte> span = reader.UnreadSpan;
            int terminator = Scan(span, max, field, fieldOffset, reader.Consumed, ref value, ref digits);
            if (terminator >= 0)
            {
                reader.Advance(terminator + 1);
                return true;
            }

            reader.Advance(span.Length);
        }

        value = 0;
        return false;
    }

    /// <summary>Reads a number and its NUL terminator from <paramref name="source"/> at <paramref name="position"/>.</summary>
    /// <param name="source">The whole input, starting at the chunk's first byte.</param>
    /// <param name="position">The offset of the first digit; on success, advanced past the terminator.</param>
    /// <param name="max">The largest value the field accepts.</param>
    /// <param name="field">The field's name, for the error message.</param>
    /// <param name="value">The value read.</param>
    /// <returns><see langword="false"/> if the input ends before the terminator.</returns>
    /// <exception cref="ProtocolException">The bytes so far can never form a valid number within <paramref name="max"/>.</exception>
    public static bool TryRead(ReadOnlySpan<byte> source, ref int position, ulong max, string field, out ulong value)
    {
        ReadOnlySpan<byte> span = source[position..];

        // The common case first: up to 19 digits, which cannot overflow, then the terminator. Anything else (a leading
        // zero, 20 digits, a bad byte, the end of the input) goes to the careful scan, which finds the exact error.
        int end = Math.Min(span.Length, MaxDigits - 1);
        ulong result = 0;
        int count = 0;
        while (count < end)
        {
            uint digit = (uint)(span[count] - '0');
            if (digit > 9)
            {
                break;
            }

            result = (result * 10) + digit;
            count++;
        }

        if (count > 0 && count < span.Length && span[count] == Terminator && result <= max && (count == 1 || span[0] != '0'))
        {
            value = result;
            position += count + 1;
            return true;
        }

        value = 0;
        int digits = 0;
        int terminator = Scan(span, max, field, position, position, ref value, ref digits);
        if (terminator < 0)
        {
            value = 0;
            return false;
        }

        position += terminator + 1;
        return true;
    }

    /// <summary>Adds the digits of <paramref name="span"/> to <paramref name="value"/> up to the terminator.</summary>
    /// <returns>The index of the terminator in <paramref name="span"/>, or -1 if <paramref name="span"/> ends first.</returns>
    private static int Scan(ReadOnlySpan<byte> span, ulong max, string field, long fieldOffset, long spanOffset, ref ulong value, ref int digits)
    {
        ulong result = value;
        int count = digits;
        for (int i = 0; i < span.Length; i++)
        {
            byte b = span[i];
            uint digit = (uint)(b - '0');
            if (digit > 9)
            {
                if (b == Terminator && count > 0)
                {
                    value = result;
                    digits = count;
                    return i;
                }

                ThrowNotADigit(field, fieldOffset, b, spanOffset + i, count);
            }

            if (count == 1 && result == 0)
            {
                ThrowInvalid(field, fieldOffset, "leading zero");
            }

            if (count == MaxDigits)
            {
                ThrowInvalid(field, fieldOffset, "more than 20 digits");
            }

            // Up to 19 digits the value cannot overflow, so a plain comparison finds the first digit that goes over the
            // maximum; only the 20th needs the careful check.
            if (count < MaxDigits - 1)
            {
                result = (result * 10) + digit;
                if (result > max)
                {
                    ThrowOverMax(field, fieldOffset, max);
                }
            }
            else
            {
                if (digit > max || result > (max - digit) / 10)
                {
                    ThrowOverMax(field, fieldOffset, max);
                }

                result = (result * 10) + digit;
            }

            count++;
        }

        value = result;
        digits = count;
        return -1;
    }

    /// <summary>Writes <paramref name="value"/> as ASCII decimal digits, with no terminator.</summary>
    /// <param name="value">The value to write.</param>
    /// <param name="destination">At least <see cref="MaxDigits"/> bytes, or enough for the value.</param>
    /// <returns>The number of bytes written.</returns>
    public static int Write(ulong value, Span<byte> destination)
    {
        // Lengths and small ids are most of what is written: one or two digits take no loop.
        if (value < 10)
        {
            destination[0] = (byte)('0' + value);
            return 1;
        }

        if (value < 100)
        {
            destination[1] = (byte)('0' + (value % 10));
            destination[0] = (byte)('0' + (value / 10));
            return 2;
        }

        // Thread ids grow with every call: write them from the last digit back, two at a time.
        int count = CountDigits(value);
        Span<byte> digits = destination[..count];
        int end = count;
        while (value >= 100)
        {
            ulong rest = value / 100;
            uint pair = (uint)(value - (rest * 100));
            digits[end - 1] = (byte)('0' + (pair % 10));
            digits[end - 2] = (byte)('0' + (pair / 10));
            end -= 2;
            value = rest;
        }

        if (value >= 10)
        {
            digits[1] = (byte)('0' + (value % 10));
            digits[0] = (byte)('0' + (value / 10));
        }
        else
        {
            digits[0] = (byte)('0' + value);
        }

        return count;
    }

    /// <summary>Counts the decimal digits of <paramref name="value"/>.</summary>
    private static int CountDigits(ulong value)
    {
        // 1233 / 4096 is just under log10(2): from the bit length this gives the digit count less one, or the count
        // itself, and one comparison with a power of ten tells which. Setting the lowest bit makes 0 count as 1, and
        // moves no other number across a power of ten (those are even).
        ulong odd = value | 1;
        int estimate = ((BitOperations.Log2(odd) + 1) * 1233) >> 12;
        return estimate + (odd >= s_powersOfTen[estimate] ? 1 : 0);
    }

    [DoesNotReturn]
    private static void ThrowNotADigit(string field, long fieldOffset, byte b, long byteOffset, int digits)
    {
        string reason = b == Terminator && digits == 0
            ? "no digits before the NUL terminator"
            : $"byte 0x{b:x2} at offset {byteOffset} is not a digit";
        ThrowInvalid(field, fieldOffset, reason);
    }

    [DoesNotReturn]
    private static void ThrowOverMax(string field, long fieldOffset, ulong max) =>
        ThrowInvalid(field, fieldOffset, $"value over the maximum of {max}");

    [DoesNotReturn]
    private static void ThrowInvalid(string field, long fieldOffset, string reason) =>
        throw new ProtocolException($"text framing: {field} at offset {fieldOffset}: {reason}.");
}
