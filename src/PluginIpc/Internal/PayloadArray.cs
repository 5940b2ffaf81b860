using System.Buffers;

namespace PluginIpc;

/// <summary>Gives a received chunk's buffer an array of its own.</summary>
internal static class PayloadArray
{
    /// <summary>Allocates an array for a buffer whose bytes are about to be written into it, without zeroing it first: for a 64 KiB chunk the zeroing cost more than the copy.</summary>
    public static byte[] Allocate(int length) => GC.AllocateUninitializedArray<byte>(length);

    /// <summary>Copies <paramref name="bytes"/> into a new array from <see cref="Allocate"/>.</summary>
    public static byte[] CopyOf(ReadOnlySpan<byte> bytes)
    {
        byte[] copy = Allocate(bytes.Length);
        bytes.CopyTo(copy);
        return copy;
    }

    /// <inheritdoc cref="CopyOf(ReadOnlySpan{byte})"/>
    public static byte[] CopyOf(in ReadOnlySequence<byte> bytes)
    {
        byte[] copy = Allocate(checked((int)bytes.Length));
        bytes.CopyTo(copy);
        return copy;
    }
}
