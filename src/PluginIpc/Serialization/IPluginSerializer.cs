using System.Buffers;

namespace PluginIpc;

/// <summary>
/// Turns the values of typed calls (<c>CallAsync&lt;TRequest, TResponse&gt;</c>, <c>Handle&lt;TRequest, TResponse&gt;</c>) into a
/// chunk's buffer and back. Both sides of a connection must use the same format; the plugin announces its format's
/// <see cref="Name"/> in the handshake metadata under <c>serializer</c>.
/// </summary>
/// <remarks>
/// Built in: <see cref="MessagePackPluginSerializer"/> (the default) and <see cref="JsonPluginSerializer"/>. Implementations are
/// thread safe, and treat what they deserialize as untrusted: it comes from the other process.
/// </remarks>
public interface IPluginSerializer
{
    /// <summary>Gets the format's name, such as <c>msgpack</c> or <c>json</c>.</summary>
    string Name { get; }

    /// <summary>Writes <paramref name="value"/> to <paramref name="writer"/>.</summary>
    /// <typeparam name="T">The declared type of the value.</typeparam>
    /// <param name="writer">Where the bytes go.</param>
    /// <param name="value">The value.</param>
    void Serialize<T>(IBufferWriter<byte> writer, T value);

    /// <summary>Reads a <typeparamref name="T"/> from <paramref name="buffer"/>.</summary>
    /// <typeparam name="T">The type to read.</typeparam>
    /// <param name="buffer">The bytes, all of them.</param>
    /// <returns>The value.</returns>
    /// <exception cref="Exception">The bytes are not a <typeparamref name="T"/> in this format; the typed layer reports it with the command.</exception>
    T Deserialize<T>(ReadOnlyMemory<byte> buffer);
}
