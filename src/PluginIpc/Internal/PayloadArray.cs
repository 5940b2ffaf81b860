using System.Buffers;

namespace PluginIpc;

/// <summary>Copies a received chunk's buffer out of the read buffer, into an array of its own.</summary>
internal static class PayloadArray
{
    /// <summary>Copies <paramref name="bytes"/> into a new array that is not zeroed first (it is overwritten at once): for a 64 KiB chunk the zeroing cost more than the copy.</summary>
    public static byte[] CopyOf(ReadOnlySpan<byte> bytes)
    {
        byte[] copy = GC.AllocateUninitializedArray<byte>(bytes.Length);
        bytes.CopyTo(copy);
        return copy;
    }

    /// <inheritdoc cref="CopyOf(ReadOnlySpan{byte})"/>
    public static byte[] CopyOf(in ReadOnlySequence<byte> bytes)
    {
        byte[] copy = GC.AllocateUninitializedArray<byte>(checked((int)bytes.Length));
        bytes.CopyTo(copy);
        return copy;
    }
}
