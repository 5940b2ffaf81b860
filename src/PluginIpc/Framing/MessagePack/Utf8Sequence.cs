using System.Buffers;
using System.Globalization;
using System.Text;

namespace PluginIpc;

/// <summary>Strict UTF-8 checks and decoding over byte sequences that may span several segments.</summary>
internal static class Utf8Sequence
{
    /// <summary>Throws unless <paramref name="utf8"/> is valid UTF-8.</summary>
    /// <param name="utf8">The string's bytes.</param>
    /// <param name="field">The field, for the error message.</param>
    /// <param name="offset">The offset of the field's type byte in the chunk.</param>
    /// <param name="dataOffset">The offset of the first byte of <paramref name="utf8"/> in the chunk.</param>
    /// <exception cref="ProtocolException">The bytes are not valid UTF-8.</exception>
    public static void Validate(in ReadOnlySequence<byte> utf8, string field, long offset, long dataOffset) =>
        SequenceScratch.Apply(utf8, (field, offset, dataOffset), static (bytes, state) =>
        {
            Validate(bytes, state.field, state.offset, state.dataOffset);
            return true;
        });

    /// <summary>Decodes bytes already checked by <see cref="Validate(in ReadOnlySequence{byte}, string, long, long)"/>.</summary>
    public static string Decode(in ReadOnlySequence<byte> utf8) =>
        SequenceScratch.Apply(utf8, 0, static (bytes, _) => Encoding.UTF8.GetString(bytes));

    private static void Validate(ReadOnlySpan<byte> utf8, string field, long offset, long dataOffset)
    {
        int index = Utf8Text.FindInvalid(utf8);
        if (index >= 0)
        {
            MessagePackThrow.Invalid(
                field,
                offset,
                string.Create(CultureInfo.InvariantCulture, $"not valid UTF-8: invalid byte 0x{utf8[index]:x2} at offset {dataOffset + index}."));
        }
    }
}
