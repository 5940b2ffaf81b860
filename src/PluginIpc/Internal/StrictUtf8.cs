using System.Text;

namespace PluginIpc;

/// <summary>Measures strings for the wire, rejecting what UTF-8 cannot carry instead of replacing it.</summary>
internal static class StrictUtf8
{
    private static readonly UTF8Encoding s_encoding = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>Returns the UTF-8 length of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> holds an unpaired surrogate; nothing may be written.</exception>
    public static int GetByteCount(string value, string field)
    {
        if (Ascii.IsValid(value))
        {
            return value.Length; // Most commands and header names: one byte per char, and nothing to check.
        }

        try
        {
            return s_encoding.GetByteCount(value);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException($"The {field} is not valid Unicode (unpaired surrogate at index {ex.Index}); it cannot be sent as UTF-8.", field, ex);
        }
    }

    /// <summary>Returns the UTF-8 bytes of <paramref name="value"/>.</summary>
    /// <exception cref="ArgumentException"><paramref name="value"/> holds an unpaired surrogate.</exception>
    public static byte[] GetBytes(string value, string field)
    {
        try
        {
            return s_encoding.GetBytes(value);
        }
        catch (EncoderFallbackException ex)
        {
            throw new ArgumentException($"The {field} is not valid Unicode (unpaired surrogate at index {ex.Index}); it cannot be sent as UTF-8.", field, ex);
        }
    }
}
