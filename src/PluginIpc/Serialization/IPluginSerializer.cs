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

    /// <summary>Starts an array of <paramref name="length"/> values (the arguments of a contract call, the items of a stream's batch).</summary>
    /// <param name="writer">Where the bytes go.</param>
    /// <param name="length">How many values follow, each written by <see cref="Serialize{T}"/> with <see cref="WriteArraySeparator"/> between them.</param>
    void WriteArrayStart(IBufferWriter<byte> writer, int length);

    /// <summary>Writes what goes between two values of an array (a comma in JSON, nothing in MessagePack).</summary>
    /// <param name="writer">Where the bytes go.</param>
    void WriteArraySeparator(IBufferWriter<byte> writer);

    /// <summary>Ends an array started by <see cref="WriteArrayStart"/>.</summary>
    /// <param name="writer">Where the bytes go.</param>
    void WriteArrayEnd(IBufferWriter<byte> writer);

    /// <summary>Finds the values of the array that is all of <paramref name="buffer"/>, each of which <see cref="Deserialize{T}"/> can then read.</summary>
    /// <param name="buffer">The bytes: exactly one array.</param>
    /// <param name="items">Receives where each value starts and ends in <paramref name="buffer"/>.</param>
    /// <returns>The number of values.</returns>
    /// <exception cref="FormatException">The bytes are not one array in this format, or it has more values than <paramref name="items"/> holds.</exception>
    int ReadArray(ReadOnlyMemory<byte> buffer, Span<Range> items);
}
