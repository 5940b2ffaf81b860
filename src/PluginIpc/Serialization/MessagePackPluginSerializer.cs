using System.Buffers;
using System.Diagnostics.CodeAnalysis;
using System.Runtime.CompilerServices;
using MessagePack;
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
    }

    /// <summary>The format's name: <c>msgpack</c>.</summary>
    public const string FormatName = "msgpack";

    /// <inheritdoc/>
    public string Name => FormatName;

    /// <inheritdoc/>
    public void Serialize<T>(IBufferWriter<byte> writer, T value)
    {
        if (typeof(T) == typeof(int) && !_compressed)
        {
            MessagePackInts.Write(writer, Unsafe.As<T, int>(ref value)); // arguments, windows: a MessagePackWriter costs more than the int
            return;
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
            _options.Resolver.GetFormatterWithVerify<T>().Serialize(ref output, value, _options);
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

        try
        {
            var reader = new MessagePackReader(buffer);
            return _options.Resolver.GetFormatterWithVerify<T>().Deserialize(ref reader, _options);
        }
        catch (Exception ex) when (ex is not MessagePackSerializationException and not OutOfMemoryException)
        {
            throw new MessagePackSerializationException($"Failed to deserialize {typeof(T).FullName} value.", ex);
        }
    }

    /// <inheritdoc/>
    public void WriteArrayStart(IBufferWriter<byte> writer, int length) => MessagePackInts.WriteArrayHeader(writer, length);

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
