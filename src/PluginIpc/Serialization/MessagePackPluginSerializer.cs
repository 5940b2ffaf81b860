using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using MessagePack;
using MessagePack.Formatters;
using MessagePack.Resolvers;

namespace PluginIpc;

/// <summary>
/// The <c>msgpack</c> format of typed calls, by MessagePack-CSharp: plain classes and records need no attributes
/// (contractless, internal types too: objects are maps keyed by property name), <c>[MessagePackObject]</c> types use their own keys, and what
/// comes in is read with <see cref="MessagePackSecurity.UntrustedData"/> limits.
/// </summary>
/// <remarks>
/// MessagePack-CSharp builds the formatters of user types with dynamic code at run time, so this serializer is not for
/// NativeAOT or trimmed applications: those use <see cref="JsonPluginSerializer"/> with a <c>JsonSerializerContext</c>.
/// </remarks>
public sealed class MessagePackPluginSerializer : IPluginSerializer
{
    private readonly MessagePackSerializerOptions _options;
    private readonly bool _compressed;
    private readonly bool _directInts;
    private readonly bool _directBinary;

    /// <summary>Initializes the serializer with the contractless resolver and untrusted-data security.</summary>
    [RequiresDynamicCode("MessagePack-CSharp builds formatters for user types at run time.")]
    [RequiresUnreferencedCode("MessagePack-CSharp reads the members of user types by reflection.")]
    public MessagePackPluginSerializer()
        : this(MessagePackSerializerOptions.Standard.WithResolver(ContractlessStandardResolverAllowPrivate.Instance).WithSecurity(MessagePackSecurity.UntrustedData))
    {
    }

    /// <summary>Initializes the serializer with <paramref name="options"/>, for example with a resolver of source-generated formatters.</summary>
    /// <param name="options">The MessagePack-CSharp options; keep <see cref="MessagePackSecurity.UntrustedData"/> for data from plugins.</param>
    public MessagePackPluginSerializer(MessagePackSerializerOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        _options = options;
        _compressed = options.Compression != MessagePackCompression.None;

        // Values read and written here rather than by the resolver's formatters: only when those are MessagePack-CSharp's own
        // (the old spec writes byte strings as raw strings).
        _directInts = !_compressed && Uses<int, Int32Formatter>(options) && Uses<long, Int64Formatter>(options);
        _directBinary = !_compressed && options.OldSpec != true && Uses<byte[], ByteArrayFormatter>(options) && Uses<ReadOnlyMemory<byte>, ByteReadOnlyMemoryFormatter>(options);
    }

    /// <summary>The format's name: <c>msgpack</c>.</summary>
    public const string FormatName = "msgpack";

    /// <inheritdoc/>
    public string Name => FormatName;

    /// <inheritdoc/>
    public void Serialize<T>(IBufferWriter<byte> writer, T value)
    {
        if (typeof(T) == typeof(int) && _directInts)
        {
            MessagePackScalars.Write(writer, Unsafe.As<T, int>(ref value)); // arguments, windows: a MessagePackWriter costs more than the int
            return;
        }

        if (_directBinary)
        {
            // Byte arguments and results: a header and a copy, as MessagePack-CSharp writes them.
            if (typeof(T) == typeof(byte[]) && Unsafe.As<T, byte[]?>(ref value) is var array && (array is null || array.Length <= MessagePackScalars.MaxDirectBinaryBytes))
            {
                MessagePackScalars.WriteBinary(writer, array);
                return;
            }

            if (typeof(T) == typeof(ReadOnlyMemory<byte>) && Unsafe.As<T, ReadOnlyMemory<byte>>(ref value) is { Length: <= MessagePackScalars.MaxDirectBinaryBytes } memory)
            {
                MessagePackScalars.WriteBinary(writer, memory.Span);
                return;
            }
        }

        if (_compressed)
        {
            MessagePackSerializer.Serialize(writer, value, _options);
            return;
        }

        // The formatter straight from the resolver (a cached static lookup): a call's values are small, and the serializer's
        // general entry point costs a good part of writing them. Failures are wrapped as MessagePackSerializer wraps them.
        try
        {
            var output = new MessagePackWriter(writer) { OldSpec = _options.OldSpec ?? false };
            CachedFormatter<T>.Of(_options.Resolver).Serialize(ref output, value, _options);
            output.Flush();
        }
        catch (Exception ex) when (ex is not MessagePackSerializationException and not OutOfMemoryException)
        {
            throw new MessagePackSerializationException($"Failed to serialize {typeof(T).FullName} value.", ex);
        }
    }

    /// <inheritdoc/>
    public T Deserialize<T>(ReadOnlyMemory<byte> buffer)
    {
        if (_compressed)
        {
            return MessagePackSerializer.Deserialize<T>(buffer, _options);
        }

        // Integers and byte strings in their usual forms are read here; anything else, and every error, by the formatters below.
        if (typeof(T) == typeof(int) && _directInts && MessagePackScalars.TryReadInt32(buffer.Span, out int int32))
        {
            return Unsafe.As<int, T>(ref int32);
        }

        if (typeof(T) == typeof(long) && _directInts && MessagePackScalars.TryReadInt64(buffer.Span, out long int64))
        {
            return Unsafe.As<long, T>(ref int64);
        }

        if (typeof(T) == typeof(byte[]) && _directBinary && MessagePackScalars.TryReadBinary(buffer, out ReadOnlyMemory<byte> bytes, out bool isNil))
        {
            byte[]? array = isNil ? null : bytes.ToArray();
            return Unsafe.As<byte[]?, T>(ref array);
        }

        if (typeof(T) == typeof(ReadOnlyMemory<byte>) && _directBinary && MessagePackScalars.TryReadBinary(buffer, out ReadOnlyMemory<byte> copied, out _))
        {
            ReadOnlyMemory<byte> memory = copied.ToArray(); // a copy, as MessagePack-CSharp reads it: the caller may reuse its buffer
            return Unsafe.As<ReadOnlyMemory<byte>, T>(ref memory);
        }

        try
        {
            var reader = new MessagePackReader(buffer);
            return CachedFormatter<T>.Of(_options.Resolver).Deserialize(ref reader, _options);
        }
        catch (Exception ex) when (ex is not MessagePackSerializationException and not OutOfMemoryException)
        {
            throw new MessagePackSerializationException($"Failed to deserialize {typeof(T).FullName} value.", ex);
        }
    }

    /// <summary>Finds the bytes of a byte string (or nil, read as empty) in <paramref name="buffer"/> without copying them, when this serializer reads byte strings as MessagePack-CSharp does.</summary>
    /// <remarks>For the typed layer, whose buffers are received chunks' and never change: a <see cref="ReadOnlyMemory{T}"/> argument or answer is then a slice of the chunk.</remarks>
    internal bool TryReadBinaryInPlace(ReadOnlyMemory<byte> buffer, out ReadOnlyMemory<byte> bytes)
    {
        bytes = default;
        return _directBinary && MessagePackScalars.TryReadBinary(buffer, out bytes, out _);
    }

    /// <summary>Returns whether <paramref name="options"/>' resolver formats <typeparamref name="T"/> with MessagePack-CSharp's own <typeparamref name="TFormatter"/>.</summary>
    private static bool Uses<T, TFormatter>(MessagePackSerializerOptions options)
    {
        try
        {
            return options.Resolver.GetFormatter<T>() is TFormatter;
        }
        catch (Exception ex) when (ex is not OutOfMemoryException)
        {
            return false; // a resolver that cannot say: its formatters do all the work, as before
        }
    }

    /// <inheritdoc/>
    public void WriteArrayStart(IBufferWriter<byte> writer, int length) => MessagePackScalars.WriteArrayHeader(writer, length);

    /// <inheritdoc/>
    public void WriteArraySeparator(IBufferWriter<byte> writer)
    {
        // MessagePack arrays have their length up front and nothing between values.
    }

    /// <inheritdoc/>
    public void WriteArrayEnd(IBufferWriter<byte> writer)
    {
        // Nothing closes a MessagePack array.
    }

    /// <inheritdoc/>
    public int ReadArray(ReadOnlyMemory<byte> buffer, Span<Range> items) => MessagePackArrays.Read(buffer, items);
}
