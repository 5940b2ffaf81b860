using System.Buffers;
using System.Globalization;
using System.Text;
using System.Text.Unicode;

namespace PluginIpc;

/// <summary>Strict UTF-8 checks and decoding over byte sequences that may span several segments.</summary>
internal static class Utf8Sequence
{
    private const int StackLimit = 256;

    /// <summary>Throws unless <paramref name="utf8"/> is valid UTF-8.</summary>
    /// <param name="utf8">The string's bytes.</param>
    /// <param name="field">The field, for the error message.</param>
    /// <param name="offset">The offset of the field's type byte in the chunk.</param>
    /// <param name="dataOffset">The offset of the first byte of <paramref name="utf8"/> in the chunk.</param>
    /// <exception cref="ProtocolException">The bytes are not valid UTF-8.</exception>
    public static void Validate(in ReadOnlySequence<byte> utf8, string field, long offset, long dataOffset)
    {
        if (utf8.IsSingleSegment)
        {
            Validate(utf8.FirstSpan, field, offset, dataOffset);
            return;
        }

        // Lengths were checked against a limit of at most Array.MaxLength before the bytes arrived.
        int length = (int)utf8.Length;
        byte[]? rented = null;
        Span<byte> scratch = length <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            scratch = scratch[..length];
            utf8.CopyTo(scratch);
            Validate(scratch, field, offset, dataOffset);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    /// <summary>Decodes bytes already checked by <see cref="Validate(in ReadOnlySequence{byte}, string, long, long)"/>.</summary>
    public static string Decode(in ReadOnlySequence<byte> utf8)
    {
        if (utf8.IsSingleSegment)
        {
            return Encoding.UTF8.GetString(utf8.FirstSpan);
        }

        int length = (int)utf8.Length;
        byte[]? rented = null;
        Span<byte> scratch = length <= StackLimit
            ? stackalloc byte[StackLimit]
            : (rented = ArrayPool<byte>.Shared.Rent(length));
        try
        {
            scratch = scratch[..length];
            utf8.CopyTo(scratch);
            return Encoding.UTF8.GetString(scratch);
        }
        finally
        {
            if (rented is not null)
            {
                ArrayPool<byte>.Shared.Return(rented);
            }
        }
    }

    private static void Validate(ReadOnlySpan<byte> utf8, string field, long offset, long dataOffset)
    {
        if (Utf8.IsValid(utf8))
        {
            return;
        }

        int index = 0;
        while (index < utf8.Length
            && Rune.DecodeFromUtf8(utf8[index..], out _, out int read) == OperationStatus.Done)
        {
            index += read;
        }

        // IsValid said no, so the loop stops on a bad byte before the end.
        index = Math.Min(index, utf8.Length - 1);
        MessagePackThrow.Invalid(
            field,
            offset,
            string.Create(CultureInfo.InvariantCulture, $"not valid UTF-8: invalid byte 0x{utf8[index]:x2} at offset {dataOffset + index}."));
    }
}
