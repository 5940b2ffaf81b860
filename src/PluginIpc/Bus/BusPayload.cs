using System.Runtime.CompilerServices;
using System.Text;

namespace PluginIpc;

/// <summary>
/// The typed forms' payloads: a <see cref="string"/> is always UTF-8 text and a <c>byte[]</c> or <see cref="ReadOnlyMemory{T}"/>
/// of bytes always the bytes themselves, as in the text and byte forms (so generic code cannot wrap them by accident); any
/// other type is written by the bus's serializer.
/// </summary>
internal static class BusPayload
{
    public static ReadOnlyMemory<byte> Encode<T>(IPluginSerializer serializer, T value)
    {
        if (typeof(T) == typeof(ReadOnlyMemory<byte>))
        {
            return Unsafe.As<T, ReadOnlyMemory<byte>>(ref value).ToArray();
        }

        return value switch
        {
            string text => Encoding.UTF8.GetBytes(text),
            byte[] bytes => bytes.AsSpan().ToArray(),
            _ => TypedPayload.Serialize(serializer, value),
        };
    }

    /// <exception cref="Exception">The payload is not a <typeparamref name="T"/> in the serializer's format (what the serializer throws).</exception>
    public static T Decode<T>(IPluginSerializer serializer, ReadOnlyMemory<byte> payload)
    {
        if (typeof(T) == typeof(ReadOnlyMemory<byte>))
        {
            return Unsafe.As<ReadOnlyMemory<byte>, T>(ref payload);
        }

        if (typeof(T) == typeof(string))
        {
            return (T)(object)Encoding.UTF8.GetString(payload.Span);
        }

        if (typeof(T) == typeof(byte[]))
        {
            return (T)(object)payload.ToArray();
        }

        return serializer.Deserialize<T>(payload);
    }
}
