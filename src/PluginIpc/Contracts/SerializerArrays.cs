using System.Buffers;

namespace PluginIpc.Contracts;

/// <summary>The small arrays of the contract messages (<c>[token, value]</c>, <c>[streamId, window]</c>, <c>[streamId]</c>), in a serializer's format.</summary>
internal static class SerializerArrays
{
    public static ReadOnlyMemory<byte> Of<T>(IPluginSerializer serializer, T only)
    {
        var buffer = new ArrayBufferWriter<byte>(16);
        serializer.WriteArrayStart(buffer, 1);
        serializer.Serialize(buffer, only);
        serializer.WriteArrayEnd(buffer);
        return buffer.WrittenMemory;
    }

    public static ReadOnlyMemory<byte> Of<TFirst, TSecond>(IPluginSerializer serializer, TFirst first, TSecond second)
    {
        var buffer = new ArrayBufferWriter<byte>(32);
        serializer.WriteArrayStart(buffer, 2);
        serializer.Serialize(buffer, first);
        serializer.WriteArraySeparator(buffer);
        serializer.Serialize(buffer, second);
        serializer.WriteArrayEnd(buffer);
        return buffer.WrittenMemory;
    }
}
