using System.Buffers;
using System.Text;

namespace PluginIpc.Tests.Internal;

/// <summary>
/// The text framing's numbers: the shortcuts of <see cref="AsciiDecimal.Write"/> (one or two digits, then two at a time), and the quick path of
/// the span reader, must give exactly what the general code gives, at every length and limit.
/// </summary>
public sealed class AsciiDecimalTests
{
    private static readonly ulong[] s_values =
    [
        0, 1, 9, 10, 11, 42, 99, 100, 101, 999, 1000, 4096, 65535, 1_000_000,
        9_999_999_999_999_999_999, 10_000_000_000_000_000_000, ulong.MaxValue - 1, ulong.MaxValue,
    ];

    [TestCaseSource(nameof(s_values))]
    public void Write_GivesTheInvariantDecimalDigits(ulong value)
    {
        byte[] destination = new byte[AsciiDecimal.MaxDigits];

        int written = AsciiDecimal.Write(value, destination);

        Assert.That(Encoding.ASCII.GetString(destination, 0, written), Is.EqualTo(value.ToString(System.Globalization.CultureInfo.InvariantCulture)));
    }

    [Test]
    public void Write_EveryDigitCount_GivesTheInvariantDecimalDigits()
    {
        // Each power of ten and the number before it: every length, and every step of the digit count.
        byte[] destination = new byte[AsciiDecimal.MaxDigits];
        ulong power = 1;
        for (int digits = 1; digits <= AsciiDecimal.MaxDigits; digits++)
        {
            foreach (ulong value in new[] { power - 1, power, power + 1 })
            {
                int written = AsciiDecimal.Write(value, destination);
                Assert.That(Encoding.ASCII.GetString(destination, 0, written), Is.EqualTo(value.ToString(System.Globalization.CultureInfo.InvariantCulture)), $"{value}");
            }

            power = digits < AsciiDecimal.MaxDigits ? power * 10 : power;
        }
    }

    [TestCaseSource(nameof(s_values))]
    public void TryRead_SpanAndSequence_ReadWhatWriteWrote(ulong value)
    {
        byte[] input = Encoding.ASCII.GetBytes(value.ToString(System.Globalization.CultureInfo.InvariantCulture) + "\0rest");
        int position = 0;

        bool spanRead = AsciiDecimal.TryRead(input, ref position, ulong.MaxValue, "field", out ulong fromSpan);
        var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));
        bool sequenceRead = AsciiDecimal.TryRead(ref reader, ulong.MaxValue, "field", out ulong fromSequence);
        long consumed = reader.Consumed;

        Assert.Multiple(() =>
        {
            Assert.That(spanRead && sequenceRead, Is.True);
            Assert.That(fromSpan, Is.EqualTo(value));
            Assert.That(fromSequence, Is.EqualTo(value));
            Assert.That(position, Is.EqualTo(input.Length - 4), "the position is past the terminator");
            Assert.That(consumed, Is.EqualTo(position));
        });
    }

    [TestCase("5", 5UL, TestName = "TryRead_AtTheMaximum_Succeeds")]
    [TestCase("1234567890123456789", ulong.MaxValue, TestName = "TryRead_NineteenDigits_Succeeds")]
    [TestCase("18446744073709551615", ulong.MaxValue, TestName = "TryRead_TwentyDigitsAtTheMaximum_Succeeds")]
    public void TryRead_ValidNumber_SpanAndSequenceAgree(string digits, ulong max)
    {
        byte[] input = Encoding.ASCII.GetBytes(digits + "\0");
        int position = 0;

        Assert.That(AsciiDecimal.TryRead(input, ref position, max, "field", out ulong value), Is.True);
        Assert.That(value, Is.EqualTo(ulong.Parse(digits, System.Globalization.CultureInfo.InvariantCulture)));
    }

    [TestCase("6\0", 5UL, "field at offset 0: value over the maximum of 5.", TestName = "TryRead_OneOverTheMaximum_SaysSo")]
    [TestCase("4097\0", 4096UL, "field at offset 0: value over the maximum of 4096.", TestName = "TryRead_OverTheMaximumByTheLastDigit_SaysSo")]
    [TestCase("00\0", ulong.MaxValue, "field at offset 0: leading zero.", TestName = "TryRead_TwoZeros_SaysLeadingZero")]
    [TestCase("012\0", ulong.MaxValue, "field at offset 0: leading zero.", TestName = "TryRead_LeadingZero_SaysSo")]
    [TestCase("\0", ulong.MaxValue, "field at offset 0: no digits before the NUL terminator.", TestName = "TryRead_NoDigits_SaysSo")]
    [TestCase("12x\0", ulong.MaxValue, "field at offset 0: byte 0x78 at offset 2 is not a digit.", TestName = "TryRead_LetterAfterDigits_NamesItsOffset")]
    [TestCase("18446744073709551616\0", ulong.MaxValue, "field at offset 0: value over the maximum of 18446744073709551615.", TestName = "TryRead_TwentyDigitsOverUInt64_SaysOverTheMaximum")]
    [TestCase("123456789012345678901\0", ulong.MaxValue, "field at offset 0: more than 20 digits.", TestName = "TryRead_TwentyOneDigits_SaysTooMany")]
    public void TryRead_InvalidNumber_SpanAndSequenceThrowTheSameError(string text, ulong max, string expected)
    {
        byte[] input = Encoding.ASCII.GetBytes(text);

        ProtocolException? fromSpan = Assert.Throws<ProtocolException>(() =>
        {
            int position = 0;
            AsciiDecimal.TryRead(input, ref position, max, "field", out _);
        });
        ProtocolException? fromSequence = Assert.Throws<ProtocolException>(() =>
        {
            var reader = new SequenceReader<byte>(new ReadOnlySequence<byte>(input));
            AsciiDecimal.TryRead(ref reader, max, "field", out _);
        });

        Assert.That(fromSpan!.Message, Does.EndWith(expected));
        Assert.That(fromSequence!.Message, Is.EqualTo(fromSpan.Message));
    }

    [TestCase("", TestName = "TryRead_NothingYet_IsIncomplete")]
    [TestCase("12", TestName = "TryRead_DigitsWithoutTerminator_IsIncomplete")]
    [TestCase("1234567890123456789", TestName = "TryRead_NineteenDigitsWithoutTerminator_IsIncomplete")]
    [TestCase("12345678901234567890", TestName = "TryRead_TwentyDigitsWithoutTerminator_IsIncomplete")]
    public void TryRead_NoTerminatorYet_ReturnsFalseAndStaysPut(string text)
    {
        byte[] input = Encoding.ASCII.GetBytes(text);
        int position = 0;

        Assert.That(AsciiDecimal.TryRead(input, ref position, ulong.MaxValue, "field", out ulong value), Is.False);
        Assert.That((position, value), Is.EqualTo((0, 0UL)));
    }
}
