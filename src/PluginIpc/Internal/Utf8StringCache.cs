using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Text;

namespace PluginIpc;

/// <summary>
/// Turns short UTF-8 values that come over and over (commands, header keys, bus topics and publishers) into strings, reusing
/// the strings of recently seen ones.
/// </summary>
/// <remarks>
/// A channel sees the same few commands, a bus the same few topics; the cache makes decoding them allocation-free.
/// Thread safe: entries are immutable and replaced with a single reference write.
/// </remarks>
internal static class Utf8StringCache
{
    private const int MaxCachedBytes = 64;
    private const int SlotCount = 256; // a power of two

    private static readonly Entry?[] s_slots = new Entry?[SlotCount];

    /// <summary>Decodes <paramref name="utf8"/> as strict UTF-8.</summary>
    /// <param name="utf8">The command's bytes; its length is already checked against the limit.</param>
    /// <param name="offset">The byte offset of the command within its chunk, for the error message.</param>
    /// <exception cref="ProtocolException">The bytes are not valid UTF-8.</exception>
    public static string GetString(in ReadOnlySequence<byte> utf8, long offset) =>
        SequenceScratch.Apply(utf8, offset, static (bytes, offset) => GetString(bytes, offset));

    /// <inheritdoc cref="GetString(in ReadOnlySequence{byte}, long)"/>
    public static string GetString(ReadOnlySpan<byte> utf8, long offset) => GetString(utf8, offset, "cmd");

    /// <summary>Decodes <paramref name="utf8"/> as strict UTF-8.</summary>
    /// <param name="utf8">The value's bytes.</param>
    /// <param name="offset">The byte offset of the value, for the error message.</param>
    /// <param name="what">What the value is, for the error message.</param>
    /// <exception cref="ProtocolException">The bytes are not valid UTF-8.</exception>
    public static string GetString(ReadOnlySpan<byte> utf8, long offset, string what)
    {
        if (TryGetCached(utf8, out string? cached))
        {
            return cached;
        }

        string value = Decode(utf8, offset, what);
        if (utf8.Length <= MaxCachedBytes)
        {
            Volatile.Write(ref s_slots[Hash(utf8) & (SlotCount - 1)], new Entry(utf8.ToArray(), value));
        }

        return value;
    }

    /// <summary>Finds the string of <paramref name="utf8"/> if it is cached: a hit needs no UTF-8 check, since only checked bytes are cached.</summary>
    /// <param name="utf8">The cmd's bytes.</param>
    /// <param name="value">The cached string.</param>
    /// <returns><see langword="true"/> for a hit (always for no bytes).</returns>
    public static bool TryGetCached(ReadOnlySpan<byte> utf8, [NotNullWhen(true)] out string? value)
    {
        if (utf8.IsEmpty)
        {
            value = string.Empty;
            return true;
        }

        if (utf8.Length <= MaxCachedBytes)
        {
            Entry? entry = Volatile.Read(ref s_slots[Hash(utf8) & (SlotCount - 1)]);
            if (entry is not null && utf8.SequenceEqual(entry.Utf8))
            {
                value = entry.Value;
                return true;
            }
        }

        value = null;
        return false;
    }

    private static string Decode(ReadOnlySpan<byte> utf8, long offset, string what)
    {
        int bad = Utf8Text.FindInvalid(utf8);
        if (bad >= 0)
        {
            throw new ProtocolException($"{what} is not valid UTF-8: invalid byte 0x{utf8[bad]:x2} at offset {offset + bad}.");
        }

        return Encoding.UTF8.GetString(utf8);
    }

    private static int Hash(ReadOnlySpan<byte> utf8)
    {
        // FNV-1a: cheap and good enough to spread a handful of short commands over the slots.
        uint hash = 2166136261;
        foreach (byte b in utf8)
        {
            hash = (hash ^ b) * 16777619;
        }

        return (int)(hash ^ (hash >> 16));
    }

    private sealed record Entry(byte[] Utf8, string Value);
}
